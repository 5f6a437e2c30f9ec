package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
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

// flat is the probe readings of a host that ran at one speed.
var flat = [3]speeds{{100, 200}, {100, 200}, {100, 200}}

// mk is a pair of the two samples (nil: that side failed) with the probes.
func mk(sockio, node *sample, probes [3]speeds) pair {
	return pair{sockio: sockio, node: node, probes: probes, attempts: 1, steady: true}
}

func val(v float64) *sample { return &sample{Value: v} }

func TestSpreadAndSteadiness(t *testing.T) {
	for _, c := range []struct {
		name   string
		probes [3]speeds
		spread float64
		steady bool
	}{
		{"one speed", flat, 0, true},
		{"server core 7 % faster between", [3]speeds{{100, 200}, {107, 200}, {100, 200}}, .07, true},
		{"exactly the tolerance", [3]speeds{{100, 200}, {104, 200}, {108, 200}}, .08, true},
		{"load core 9 % slower after", [3]speeds{{100, 200}, {100, 200}, {100, 183}}, 200.0/183 - 1, false},
		{"host mode change", [3]speeds{{35, 200}, {35, 200}, {51, 200}}, 51.0/35 - 1, false},
		{"both cores move, the larger counts", [3]speeds{{100, 100}, {105, 120}, {100, 100}}, .2, false},
		{"no reading", [3]speeds{{100, 200}, {0, 200}, {100, 200}}, math.Inf(1), false},
	} {
		p := mk(val(1), val(1), c.probes)
		if got := p.spread(); math.Abs(got-c.spread) > 1e-12 && got != c.spread {
			t.Errorf("%s: spread = %v, want %v", c.name, got, c.spread)
		}
		if got := p.steadyWithin(.08); got != c.steady {
			t.Errorf("%s: steadyWithin(8 %%) = %v, want %v", c.name, got, c.steady)
		}
	}
}

func TestSteadiest(t *testing.T) {
	wobbly := func(hi int) [3]speeds { return [3]speeds{{100, 200}, {hi, 200}, {100, 200}} }
	for _, c := range []struct {
		name     string
		tries    []pair
		calls    int
		keep     int // index in tries
		steady   bool
		attempts int
		logLines int
	}{
		{"steady at once", []pair{mk(val(1), val(1), flat)}, 1, 0, true, 1, 0},
		{"steady on the third try",
			[]pair{mk(val(1), val(1), wobbly(150)), mk(val(2), val(1), wobbly(120)), mk(val(3), val(1), wobbly(103))},
			3, 2, true, 3, 2},
		{"never steady: the steadiest is kept and marked",
			[]pair{mk(val(1), val(1), wobbly(150)), mk(val(2), val(1), wobbly(112)), mk(val(3), val(1), wobbly(130))},
			3, 1, false, 3, 3},
		{"a failed side ends the tries, a complete attempt wins",
			[]pair{mk(val(1), val(1), wobbly(150)), mk(val(2), nil, flat)},
			2, 0, false, 2, 1},
		{"a failed side at once is not repeated",
			[]pair{mk(nil, val(1), wobbly(150))},
			1, 0, false, 1, 0},
	} {
		var log bytes.Buffer
		calls := 0
		got, err := steadiest("run 1  echo", 3, .08, &log, func(attempt int) (pair, error) {
			calls++
			if attempt != calls {
				t.Errorf("%s: attempt %d on call %d", c.name, attempt, calls)
			}
			p := c.tries[attempt-1]
			p.steady = false // steadiest decides
			return p, nil
		})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if calls != c.calls {
			t.Errorf("%s: %d attempts made, want %d", c.name, calls, c.calls)
		}
		want := c.tries[c.keep]
		if got.sockio != want.sockio || got.node != want.node || got.probes != want.probes {
			t.Errorf("%s: kept %+v, want attempt %d", c.name, got, c.keep+1)
		}
		if got.steady != c.steady || got.attempts != c.attempts {
			t.Errorf("%s: steady %v attempts %d, want %v %d", c.name, got.steady, got.attempts, c.steady, c.attempts)
		}
		if n := strings.Count(log.String(), "\n"); n != c.logLines {
			t.Errorf("%s: %d log lines, want %d:\n%s", c.name, n, c.logLines, log.String())
		}
		if c.logLines > 0 && !strings.Contains(log.String(), "run 1  echo: host speed not steady (srv 100 load 200, srv ") {
			t.Errorf("%s: log lacks the readings:\n%s", c.name, log.String())
		}
	}
	probeErr := errors.New("probe failed")
	if _, err := steadiest("x", 3, .08, &bytes.Buffer{}, func(int) (pair, error) { return pair{}, probeErr }); err != probeErr {
		t.Errorf("probe error: got %v", err)
	}
}

func TestRatioIsMedianOfPairs(t *testing.T) {
	r := rowResult{row: rows[0], pairs: []pair{
		mk(val(100), val(40), flat), // 2.5
		mk(val(120), val(80), flat), // 1.5
		mk(val(90), val(60), flat),  // 1.5
		mk(val(500), nil, flat),     // no ratio, but a sockio value
	}}
	s := r.summary()
	// The medians are 110 and 60 (110/60 = 1.83); the pairs say 1.5.
	if s.Sockio != 110 || s.NodeValue != 60 || s.Ratio != 1.5 || s.Runs != 3 {
		t.Errorf("summary = sockio %v node %v ratio %v runs %v, want 110 60 1.5 3", s.Sockio, s.NodeValue, s.Ratio, s.Runs)
	}
	var ratios []float64
	for _, p := range s.Pairs {
		ratios = append(ratios, p.Ratio)
	}
	if !slices.Equal(ratios, []float64{2.5, 1.5, 1.5, 0}) {
		t.Errorf("pair ratios = %v", ratios)
	}
}

func TestPacedRatiosPerPercentile(t *testing.T) {
	lat := func(p50, p99 float64) *sample { return &sample{Value: 10000, P50ms: p50, P99ms: p99} }
	r := rowResult{row: row{Name: "paced", Scenario: "bpaced", Node: "4"}, pairs: []pair{
		mk(lat(2, 8), lat(4, 10), flat),    // 0.5, 0.8
		mk(lat(3, 12), lat(4, 10), flat),   // 0.75, 1.2
		mk(lat(1, 9), lat(4, 30), flat),    // 0.25, 0.3
		mk(lat(9, 90), lat(0, 0), flat),    // Node figures of 0: no ratio
		mk(lat(2, 8), nil, flat),           // Node failed
		mk(nil, lat(4, 10), flat),          // sockio failed
		mk(lat(5, 20), lat(10, 200), flat), // 0.5, 0.1
	}}
	s := r.summary()
	if s.RatioP50 != .5 || s.RatioP99 != .55 {
		t.Errorf("paced ratios = %v / %v, want 0.5 / 0.55", s.RatioP50, s.RatioP99)
	}
	if p := s.Pairs[0]; p.RatioP50 != .5 || p.RatioP99 != .8 || p.Ratio != 1 {
		t.Errorf("first pair = %+v", p)
	}
	if p := s.Pairs[3]; p.RatioP50 != 0 || p.RatioP99 != 0 {
		t.Errorf("pair with Node at 0 = %+v", p)
	}
	if got := formatTable([]rowResult{r}); !strings.Contains(got, "| 0.50× / 0.55× |") {
		t.Errorf("table lacks the paced ratios:\n%s", got)
	}
}

func TestFormatTable(t *testing.T) {
	cpu := func(v, srv, ld float64) *sample { return &sample{Value: v, ServerCPU: srv, LoadCPU: ld} }
	echo := rowResult{row: rows[0], pairs: []pair{
		mk(cpu(30000, 1, 0), cpu(20000, .9, .5), [3]speeds{{100, 200}, {103, 200}, {100, 200}}),
		mk(cpu(36000, 1, 0), nil, flat),
		mk(cpu(33000, 1, 0), nil, flat),
	}}
	echo.pairs[0].attempts = 3
	echo.pairs[2].attempts = 2
	paced := rowResult{row: row{Name: "paced", Scenario: "bpaced", Node: "4"}, pairs: []pair{
		mk(&sample{Value: 10000, P50ms: 2, P99ms: 8, ServerCPU: .2, LoadCPU: .1, CoreBusy: []float64{.5, .2, .9}},
			&sample{Value: 10000, P50ms: 4, P99ms: 10, ServerCPU: .2, LoadCPU: .1, CoreBusy: []float64{.3, .2}},
			[3]speeds{{100, 200}, {100, 200}, {100, 230}}),
	}}
	paced.pairs[0].steady = false
	paced.pairs[0].attempts = 3
	for _, p := range paced.pairs {
		p.sockio.others("0", "1")
		p.node.others("0", "1")
	}
	missing := rowResult{row: row{Name: "none", Scenario: "echo", Node: "09"}, pairs: []pair{mk(val(5), nil, flat)}}
	empty := rowResult{row: row{Name: "empty", Scenario: "echo", Node: "4"}}
	got := formatTable([]rowResult{echo, paced, missing, empty})
	for _, want := range []string{
		"| scenario | sockio | Node | ratio (median of pairs) | host speed spread | CPU sockio srv / load |",
		"| " + rows[0].Name + " | 33.0k | 20.0k | 1.50× | 3 % (2 again) | 100 % / 0 % | 90 % / 50 % | 0 % / 0 % |",
		"| paced | 2.0 / 8.0 | 4.0 / 10.0 | 0.50× / 0.80× | 15 % (1 again, 1 unsteady) | 20 % / 10 % | 20 % / 10 % | 20 % / 10 % |",
		"| none | 5 | 0 | n/a | 0 % |",
		"| empty | 0 | 0 | n/a | n/a |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if s := echo.summary(); s.Runs != 1 || s.Node != "socket.io 4.8.4" || s.Ratio != 1.5 || s.Again != 2 || s.Unsteady != 0 {
		t.Errorf("summary = %+v", s)
	}
}

func TestSummaryJSON(t *testing.T) {
	r := rowResult{row: rows[0], pairs: []pair{mk(val(300), val(200), [3]speeds{{100, 200}, {125, 200}, {100, 200}})}}
	r.pairs[0].attempts, r.pairs[0].steady = 3, false
	b, err := json.Marshal(r.summary())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"ratio":1.5,`,
		`"host_speed_spread":0.25,"pairs_measured_again":1,"pairs_unsteady":1,`,
		`"pairs":[{"ratio":1.5,"probes":[[100,200],[125,200],[100,200]],"attempts":3,"steady":false}]`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
}

func TestSpin(t *testing.T) {
	if n := spin(time.Millisecond); n <= 0 {
		t.Errorf("spin counted %d", n)
	}
}
