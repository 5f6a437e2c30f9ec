package main

import (
	"fmt"
	"slices"
	"strings"
)

// rowResult is every run's sample of one row, for both sides.
type rowResult struct {
	row          row
	sockio, node []sample
}

// median of xs, 0 when there are none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianOf(ss []sample, f func(sample) float64) float64 {
	xs := make([]float64, len(ss))
	for i, s := range ss {
		xs[i] = f(s)
	}
	return median(xs)
}

// summary is one row's JSON line.
type summary struct {
	Row          string  `json:"row"`
	Scenario     string  `json:"scenario"`
	Proto        int     `json:"proto"`
	Clients      int     `json:"clients"`
	Node         string  `json:"node_server"`
	Unit         string  `json:"unit"`
	Runs         int     `json:"runs"`
	Sockio       float64 `json:"sockio"`
	NodeValue    float64 `json:"node"`
	Ratio        float64 `json:"ratio"`
	SockioP50    float64 `json:"sockio_p50_ms,omitempty"`
	SockioP99    float64 `json:"sockio_p99_ms,omitempty"`
	NodeP50      float64 `json:"node_p50_ms,omitempty"`
	NodeP99      float64 `json:"node_p99_ms,omitempty"`
	SockioSrvCPU float64 `json:"sockio_server_cpu"`
	SockioLdCPU  float64 `json:"sockio_load_cpu"`
	NodeSrvCPU   float64 `json:"node_server_cpu"`
	NodeLdCPU    float64 `json:"node_load_cpu"`
	OthersSrv    float64 `json:"others_server_core"`
	OthersLoad   float64 `json:"others_load_core"`
}

func (r rowResult) summary() summary {
	val := func(s sample) float64 { return s.Value }
	p50 := func(s sample) float64 { return s.P50ms }
	p99 := func(s sample) float64 { return s.P99ms }
	srv := func(s sample) float64 { return s.ServerCPU }
	ld := func(s sample) float64 { return s.LoadCPU }
	out := summary{
		Row: r.row.Name, Scenario: r.row.Scenario, Proto: r.row.Proto, Clients: r.row.Clients,
		Node:   "socket.io " + map[string]string{"4": "4.8.4", "09": "0.9.19"}[r.row.Node],
		Runs:   min(len(r.sockio), len(r.node)),
		Sockio: medianOf(r.sockio, val), NodeValue: medianOf(r.node, val),
		SockioSrvCPU: medianOf(r.sockio, srv), SockioLdCPU: medianOf(r.sockio, ld),
		NodeSrvCPU: medianOf(r.node, srv), NodeLdCPU: medianOf(r.node, ld),
	}
	both := append(slices.Clone(r.sockio), r.node...)
	for _, s := range both {
		out.Unit = s.Unit
	}
	out.OthersSrv = medianOf(both, func(s sample) float64 { return s.Others[0] })
	out.OthersLoad = medianOf(both, func(s sample) float64 { return s.Others[1] })
	if r.row.Scenario == "bpaced" {
		out.SockioP50, out.SockioP99 = medianOf(r.sockio, p50), medianOf(r.sockio, p99)
		out.NodeP50, out.NodeP99 = medianOf(r.node, p50), medianOf(r.node, p99)
	}
	if out.NodeValue > 0 {
		out.Ratio = out.Sockio / out.NodeValue
	}
	return out
}

// formatTable renders the rows as a Markdown table. A figure reads "k" for
// thousands; the paced row shows its latencies, where the ratio is
// sockio/Node per percentile (lower is better there, as for memory).
func formatTable(rs []rowResult) string {
	var b strings.Builder
	b.WriteString("| scenario | sockio | Node | ratio | CPU sockio srv / load | CPU Node srv / load | others srv / load core |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		s := r.summary()
		sv, nv, ratio := human(s.Sockio), human(s.NodeValue), fmt.Sprintf("%.2f×", s.Ratio)
		switch {
		case r.row.Scenario == "bpaced":
			sv = fmt.Sprintf("%.1f / %.1f", s.SockioP50, s.SockioP99)
			nv = fmt.Sprintf("%.1f / %.1f", s.NodeP50, s.NodeP99)
			ratio = fmt.Sprintf("%s / %s", ratioOf(s.SockioP50, s.NodeP50), ratioOf(s.SockioP99, s.NodeP99))
		case r.row.Scenario == "idle":
			sv, nv = fmt.Sprintf("%.1f", s.Sockio), fmt.Sprintf("%.1f", s.NodeValue)
		}
		if s.Runs == 0 {
			ratio = "n/a"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", s.Row, sv, nv, ratio,
			pct(s.SockioSrvCPU, s.SockioLdCPU), pct(s.NodeSrvCPU, s.NodeLdCPU), pct(s.OthersSrv, s.OthersLoad))
	}
	return b.String()
}

func ratioOf(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func pct(srv, load float64) string { return fmt.Sprintf("%.0f %% / %.0f %%", 100*srv, 100*load) }

// human writes v with one decimal and a k suffix from 10,000 up.
func human(v float64) string {
	if v >= 10_000 {
		return fmt.Sprintf("%.1fk", v/1000)
	}
	return fmt.Sprintf("%.0f", v)
}
