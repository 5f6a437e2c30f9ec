package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// probeArg is the hidden first argument that makes the compare binary run
// the host speed probe (followed by its duration) instead of the table.
const probeArg = "-host-speed-probe"

// spin runs a fixed CPU workload for d: map increments and writes over a
// 1 MiB buffer in blocks of 1000, with one cheap system call per block. It
// returns the blocks done, a figure proportional to the speed the core
// gives this process: the best of three thirds of d, times three, so that
// an interruption of a few milliseconds (a neighbour's process exiting)
// does not read as a change of the host's speed.
func spin(d time.Duration) int {
	m := make(map[int]int, 4096)
	buf := make([]byte, 1<<20)
	best := 0
	for range 3 {
		n := 0
		for start := time.Now(); time.Since(start) < d/3; n++ {
			for i := range 1000 {
				m[i&4095] += i
				buf[(i*4099)&(len(buf)-1)]++
			}
			syscall.Getpid()
		}
		best = max(best, n)
	}
	return 3 * best
}

// runProbe is the probe process: it prints spin's count for the duration
// in arg.
func runProbe(arg string) {
	d, err := time.ParseDuration(arg)
	if err != nil || d <= 0 {
		fail(fmt.Errorf("probe duration %q: want a positive duration", arg))
	}
	fmt.Println(spin(d))
}

// probeSettle is how long a probe waits for the previous measurement's
// connections to be torn down.
const probeSettle = 400 * time.Millisecond

// speeds is one host speed probe: the blocks spin did on the server core
// and, at the same time, on the load tool's core.
type speeds [2]int

func (s speeds) String() string { return fmt.Sprintf("srv %d load %d", s[0], s[1]) }

// probeCores runs the probe pinned to the server core and to the load core
// at the same time, one process each, and returns their counts.
func (c *config) probeCores() (speeds, error) {
	// The kernel goes on tearing down the connections of the measurement
	// before (thousands, in the connect and idle rows) on both cores for
	// a while after the processes have exited: let it finish, so that the
	// probe reads the host's speed rather than that work.
	time.Sleep(probeSettle)
	var sp speeds
	var outs [2]bytes.Buffer
	var cmds []*exec.Cmd
	var errs []error
	for i, core := range []string{c.serverCore, c.loadCore} {
		cmd := exec.Command("taskset", "-c", core, c.self, probeArg, c.probe.String())
		cmd.Stdout, cmd.Stderr = &outs[i], os.Stderr
		if err := cmd.Start(); err != nil {
			errs = append(errs, fmt.Errorf("host speed probe on core %s: %w", core, err))
			break
		}
		cmds = append(cmds, cmd)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			errs = append(errs, fmt.Errorf("host speed probe: %w", err))
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(outs[i].String()))
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("host speed probe printed %q", outs[i].String()))
			continue
		}
		sp[i] = n
	}
	return sp, errors.Join(errs...)
}

// pair is one run of one row: sockio then Node, measured back to back and
// bracketed by host speed probes.
type pair struct {
	sockio, node *sample // nil: that side failed
	// probes are the readings before sockio, between the two, and after
	// Node.
	probes   [3]speeds
	attempts int  // how many times the pair was measured to get this one
	steady   bool // the host speed stayed within the tolerance
}

// complete reports whether both sides were measured.
func (p pair) complete() bool { return p.sockio != nil && p.node != nil }

// spread is the largest max/min - 1 of the three probe readings of one
// core: 0 when the host ran at one speed throughout the pair. A reading
// of zero (no probe) makes it infinite.
func (p pair) spread() float64 {
	worst := 0.0
	for core := range 2 {
		lo, hi := p.probes[0][core], p.probes[0][core]
		for _, s := range p.probes[1:] {
			lo, hi = min(lo, s[core]), max(hi, s[core])
		}
		if lo <= 0 {
			return math.Inf(1)
		}
		worst = max(worst, float64(hi)/float64(lo)-1)
	}
	return worst
}

// steadyWithin reports whether the host speed moved by at most tol (0.08:
// 8 %) on each core during the pair.
// The small slack keeps a spread of exactly tol, such as 100 then 108 at
// 8 %, steady despite rounding.
func (p pair) steadyWithin(tol float64) bool { return p.spread() <= tol+1e-9 }

// better reports whether attempt a is to be kept over attempt b: a
// complete pair over an incomplete one, then the smaller spread.
func better(a, b pair) bool {
	if a.complete() != b.complete() {
		return a.complete()
	}
	return a.spread() < b.spread()
}

// measurePair measures row r once on each side, bracketed by host speed
// probes, and again while the host speed was not steady (see steadiest).
func (c *config) measurePair(run int, r row) (pair, error) {
	prefix := fmt.Sprintf("run %d  %s", run, r.Name)
	return steadiest(prefix, c.attempts, c.tolerance, os.Stderr, func(attempt int) (pair, error) {
		label := fmt.Sprintf("run %d", run)
		if attempt > 1 {
			label += fmt.Sprintf(" try %d", attempt)
		}
		return c.measureOnce(label, r)
	})
}

// steadiest calls once for attempt 1, 2, ... while the pair it returns is
// complete but its host speed spread is above tol, at most attempts times,
// and keeps the best attempt (see better), with its attempts and steady
// set. An attempt where a side failed is not repeated: the failure is not
// the host's speed. Each repetition is logged to log as one line with the
// readings; only an error of once (a probe failure) is returned.
func steadiest(prefix string, attempts int, tol float64, log io.Writer, once func(attempt int) (pair, error)) (pair, error) {
	var kept pair
	for attempt := 1; attempt <= max(1, attempts); attempt++ {
		p, err := once(attempt)
		if err != nil {
			return pair{}, err
		}
		p.steady = p.steadyWithin(tol)
		if attempt == 1 || better(p, kept) {
			kept = p
		}
		kept.attempts = attempt
		if p.steady || !p.complete() {
			break
		}
		next := "measuring again"
		if attempt >= attempts {
			next = fmt.Sprintf("keeping the steadiest of %d (spread %.1f %%)", attempt, 100*kept.spread())
		}
		fmt.Fprintf(log, "%s: host speed not steady (%s, %s, %s; spread %.1f %% > %.1f %%), %s\n",
			prefix, p.probes[0], p.probes[1], p.probes[2], 100*p.spread(), 100*tol, next)
	}
	return kept, nil
}

// measureOnce runs sockio then Node on row r with a probe before, between
// and after, and prints each sample's progress line with the readings
// around it.
func (c *config) measureOnce(label string, r row) (pair, error) {
	var p pair
	var err error
	if p.probes[0], err = c.probeCores(); err != nil {
		return p, err
	}
	for i, side := range []string{"sockio", "node"} {
		s, serr := c.measure(r, side)
		if p.probes[i+1], err = c.probeCores(); err != nil {
			return p, err
		}
		if serr != nil {
			fmt.Fprintf(os.Stderr, "%s, %s, %s: %v\n", label, r.Name, side, serr)
			continue
		}
		fmt.Fprintf(os.Stderr, "%-11s %-62s %-6s %10.1f %s  srv %3.0f%% load %3.0f%%  others %3.0f%% %3.0f%%  speed srv %d→%d load %d→%d\n",
			label, r.Name, side, s.Value, s.Unit, 100*s.ServerCPU, 100*s.LoadCPU, 100*s.Others[0], 100*s.Others[1],
			p.probes[i][0], p.probes[i+1][0], p.probes[i][1], p.probes[i+1][1])
		if side == "sockio" {
			p.sockio = &s
		} else {
			p.node = &s
		}
	}
	return p, nil
}
