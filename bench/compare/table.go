package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// rowResult is the kept pair of each run of one row.
type rowResult struct {
	row   row
	pairs []pair
}

// sides is every sample measured, per side.
func (r rowResult) sides() (sockio, node []sample) {
	for _, p := range r.pairs {
		if p.sockio != nil {
			sockio = append(sockio, *p.sockio)
		}
		if p.node != nil {
			node = append(node, *p.node)
		}
	}
	return sockio, node
}

// pairRatio is sockio's f over Node's f in one pair, 0 when the pair is
// incomplete or Node's figure is not above zero.
func pairRatio(p pair, f func(sample) float64) float64 {
	if !p.complete() || f(*p.node) <= 0 {
		return 0
	}
	return f(*p.sockio) / f(*p.node)
}

// pairRatios is pairRatio of every pair that has one.
func (r rowResult) pairRatios(f func(sample) float64) []float64 {
	var xs []float64
	for _, p := range r.pairs {
		if x := pairRatio(p, f); x > 0 {
			xs = append(xs, x)
		}
	}
	return xs
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
	Ratio        float64 `json:"ratio"` // median of the pairs' ratios
	RatioP50     float64 `json:"ratio_p50,omitempty"`
	RatioP99     float64 `json:"ratio_p99,omitempty"`
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
	// HostSpread is the largest probe spread among the kept pairs (0.03:
	// 3 %); Again counts the pairs measured more than once, Unsteady the
	// ones kept above the tolerance.
	HostSpread float64       `json:"host_speed_spread"`
	Again      int           `json:"pairs_measured_again"`
	Unsteady   int           `json:"pairs_unsteady"`
	Pairs      []pairSummary `json:"pairs"`
}

// pairSummary is one kept pair in a row's JSON line.
type pairSummary struct {
	Ratio    float64   `json:"ratio,omitempty"` // absent when a side failed
	RatioP50 float64   `json:"ratio_p50,omitempty"`
	RatioP99 float64   `json:"ratio_p99,omitempty"`
	Probes   [3]speeds `json:"probes"` // before sockio, between, after Node; [server core, load core]
	Attempts int       `json:"attempts"`
	Steady   bool      `json:"steady"`
}

func (r rowResult) summary() summary {
	val := func(s sample) float64 { return s.Value }
	p50 := func(s sample) float64 { return s.P50ms }
	p99 := func(s sample) float64 { return s.P99ms }
	srv := func(s sample) float64 { return s.ServerCPU }
	ld := func(s sample) float64 { return s.LoadCPU }
	sockio, node := r.sides()
	ratios := r.pairRatios(val)
	out := summary{
		Row: r.row.Name, Scenario: r.row.Scenario, Proto: r.row.Proto, Clients: r.row.Clients,
		Node:   "socket.io " + map[string]string{"4": "4.8.4", "09": "0.9.19"}[r.row.Node],
		Runs:   len(ratios),
		Sockio: medianOf(sockio, val), NodeValue: medianOf(node, val), Ratio: median(ratios),
		SockioSrvCPU: medianOf(sockio, srv), SockioLdCPU: medianOf(sockio, ld),
		NodeSrvCPU: medianOf(node, srv), NodeLdCPU: medianOf(node, ld),
	}
	both := append(sockio, node...)
	for _, s := range both {
		out.Unit = s.Unit
	}
	out.OthersSrv = medianOf(both, func(s sample) float64 { return s.Others[0] })
	out.OthersLoad = medianOf(both, func(s sample) float64 { return s.Others[1] })
	paced := r.row.Scenario == "bpaced"
	if paced {
		out.SockioP50, out.SockioP99 = medianOf(sockio, p50), medianOf(sockio, p99)
		out.NodeP50, out.NodeP99 = medianOf(node, p50), medianOf(node, p99)
		out.RatioP50, out.RatioP99 = median(r.pairRatios(p50)), median(r.pairRatios(p99))
	}
	for _, p := range r.pairs {
		ps := pairSummary{Ratio: pairRatio(p, val), Probes: p.probes, Attempts: p.attempts, Steady: p.steady}
		if paced {
			ps.RatioP50, ps.RatioP99 = pairRatio(p, p50), pairRatio(p, p99)
		}
		out.Pairs = append(out.Pairs, ps)
		if sp := p.spread(); !math.IsInf(sp, 0) {
			out.HostSpread = max(out.HostSpread, sp)
		}
		if p.attempts > 1 {
			out.Again++
		}
		if !p.steady {
			out.Unsteady++
		}
	}
	return out
}

// formatTable renders the rows as a Markdown table. A figure reads "k" for
// thousands; the ratio is the median of the pairs' sockio/Node ratios, so
// it need not equal the ratio of the two medians beside it. The paced row
// shows its latencies, where the ratio is taken per percentile (lower is
// better there, as for memory).
func formatTable(rs []rowResult) string {
	var b strings.Builder
	b.WriteString("| scenario | sockio | Node | ratio (median of pairs) | host speed spread | CPU sockio srv / load | CPU Node srv / load | others srv / load core |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		s := r.summary()
		sv, nv, ratio := human(s.Sockio), human(s.NodeValue), ratioCell(s.Ratio)
		switch {
		case r.row.Scenario == "bpaced":
			sv = fmt.Sprintf("%.1f / %.1f", s.SockioP50, s.SockioP99)
			nv = fmt.Sprintf("%.1f / %.1f", s.NodeP50, s.NodeP99)
			ratio = ratioCell(s.RatioP50) + " / " + ratioCell(s.RatioP99)
		case r.row.Scenario == "idle":
			sv, nv = fmt.Sprintf("%.1f", s.Sockio), fmt.Sprintf("%.1f", s.NodeValue)
		}
		if s.Runs == 0 {
			ratio = "n/a"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", s.Row, sv, nv, ratio, spreadCell(s),
			pct(s.SockioSrvCPU, s.SockioLdCPU), pct(s.NodeSrvCPU, s.NodeLdCPU), pct(s.OthersSrv, s.OthersLoad))
	}
	return b.String()
}

// ratioCell writes a ratio, "n/a" when there is none.
func ratioCell(x float64) string {
	if x <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", x)
}

// spreadCell is the host speed spread column: the largest spread, then
// how many pairs were measured again and how many were kept unsteady.
func spreadCell(s summary) string {
	if len(s.Pairs) == 0 {
		return "n/a"
	}
	var notes []string
	if s.Again > 0 {
		notes = append(notes, fmt.Sprintf("%d again", s.Again))
	}
	if s.Unsteady > 0 {
		notes = append(notes, fmt.Sprintf("%d unsteady", s.Unsteady))
	}
	cell := fmt.Sprintf("%.0f %%", 100*s.HostSpread)
	if len(notes) > 0 {
		cell += " (" + strings.Join(notes, ", ") + ")"
	}
	return cell
}

func pct(srv, load float64) string { return fmt.Sprintf("%.0f %% / %.0f %%", 100*srv, 100*load) }

// human writes v with one decimal and a k suffix from 10,000 up.
func human(v float64) string {
	if v >= 10_000 {
		return fmt.Sprintf("%.1fk", v/1000)
	}
	return fmt.Sprintf("%.0f", v)
}
