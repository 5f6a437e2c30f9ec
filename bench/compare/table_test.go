package main

import (
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	in := []float64{3, 1, 2}
	median(in)
	if in[0] != 3 {
		t.Error("median reordered its input")
	}
}

func TestFormatTable(t *testing.T) {
	echo := rowResult{row: rows[0],
		sockio: []sample{{Value: 30000, ServerCPU: 1}, {Value: 36000, ServerCPU: 1}, {Value: 33000, ServerCPU: 1}},
		node:   []sample{{Value: 22000, ServerCPU: .9, LoadCPU: .5}}}
	paced := rowResult{row: row{Name: "paced", Scenario: "bpaced", Node: "4"},
		sockio: []sample{{Value: 10000, P50ms: 2, P99ms: 8, ServerCPU: .2, LoadCPU: .1, CoreBusy: []float64{.5, .2, .9}}},
		node:   []sample{{Value: 10000, P50ms: 4, P99ms: 10, ServerCPU: .2, LoadCPU: .1, CoreBusy: []float64{.3, .2}}}}
	for i := range paced.sockio {
		paced.sockio[i].others("0", "1")
		paced.node[i].others("0", "1")
	}
	missing := rowResult{row: row{Name: "none", Scenario: "echo", Node: "09"}, sockio: []sample{{Value: 5}}}
	got := formatTable([]rowResult{echo, paced, missing})
	for _, want := range []string{
		"| " + rows[0].Name + " | 33.0k | 22.0k | 1.50× | 100 % / 0 % | 90 % / 50 % | 0 % / 0 % |",
		"| paced | 2.0 / 8.0 | 4.0 / 10.0 | 0.50× / 0.80× | 20 % / 10 % | 20 % / 10 % | 20 % / 10 % |",
		"| none | 5 | 0 | n/a |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if s := echo.summary(); s.Runs != 1 || s.Node != "socket.io 4.8.4" || s.Ratio != 1.5 {
		t.Errorf("summary = %+v", s)
	}
}
