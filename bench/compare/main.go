// Command compare measures sockio beside Node socket.io with the same app,
// as a user would: it builds sockio's bench app (bench/compare/app) and the
// load tool (bench/load), installs the Node servers (bench/compare/node,
// socket.io 4.8.4 and 0.9.19, pinned in its package-lock.json) when their
// node_modules is missing, and for every scenario starts each server fresh
// pinned to one core while the load tool runs pinned to another,
// interleaved (sockio, Node, sockio, Node, ...), -runs times.
//
// Each sockio-then-Node pair is bracketed by host speed probes (a fixed
// CPU workload run for -probe on the server core and the load core at
// once, by this binary run again): before sockio, between, and after Node.
// A shared host changes speed for seconds to minutes at a time, so a pair
// whose readings on one core spread by more than -speed-tolerance is
// measured again, up to -attempts times, and the steadiest attempt is kept.
//
// It prints one table with the medians of each side, the median of the
// pairs' sockio/Node ratios (a ratio is only taken between two samples
// measured back to back at one host speed), the largest host speed spread
// of the kept pairs, and the share of a core each side used (so a reader
// sees which side was the limit), and one JSON line per row.
//
//	go run ./bench/compare -runs 3
//	go run ./bench/compare -runs 1 -only echo -json rows.jsonl
//	go run ./bench/compare -scale 19000 -hold 60s
//
// With -scale it runs only the idle-scale scenario on sockio: that many
// websockets held for -hold, RSS per session and heartbeat CPU (the default
// 25 s ping interval).
//
// Ratios within one pair are what counts: on a shared machine the absolute
// figures move from run to run with the neighbours' load.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// row is one line of the table: a load scenario against sockio and against
// the Node server of the same client generation.
type row struct {
	Name     string
	Scenario string
	Proto    int
	Clients  int
	Interval time.Duration // bpaced
	Node     string        // "4" (socket.io 4.8.4, allowEIO3) or "09" (socket.io 0.9.19)
}

var rows = []row{
	{"echo, 50 websocket clients, 64 B, acks/s (4.x)", "echo", 4, 50, 0, "4"},
	{"echo, 50 websocket clients, 64 B, acks/s (2.x)", "echo", 3, 50, 0, "4"},
	{"echo, 50 websocket clients, 64 B, acks/s (0.9 vs Node 0.9)", "echo", 1, 50, 0, "09"},
	{"broadcast flood, 500 receivers, deliveries/s (4.x)", "bflood", 4, 500, 0, "4"},
	{"broadcast flood, 500 receivers, deliveries/s (2.x)", "bflood", 3, 500, 0, "4"},
	{"broadcast flood, 500 receivers, deliveries/s (0.9 vs Node 0.9)", "bflood", 1, 500, 0, "09"},
	{"paced broadcast 10k deliveries/s, latency p50/p99 ms (4.x)", "bpaced", 4, 100, 10 * time.Millisecond, "4"},
	{"connect 5,000 websockets, sessions/s (4.x)", "connect", 4, 5000, 0, "4"},
	{"connect 5,000 websockets, sessions/s (2.x)", "connect", 3, 5000, 0, "4"},
	{"connect 5,000 websockets, sessions/s (0.9 vs Node 0.9)", "connect", 1, 5000, 0, "09"},
	{"RSS per idle websocket session, 5,000 held, KiB (4.x)", "idle", 4, 5000, 0, "4"},
	{"polling echo, 50 clients, acks/s (4.x)", "pecho", 4, 50, 0, "4"},
	{"polling echo, 50 clients, acks/s (2.x)", "pecho", 3, 50, 0, "4"},
}

// sample is what the load tool prints for one scenario (see
// bench/load/scenario.go).
type sample struct {
	Value     float64   `json:"value"`
	Unit      string    `json:"unit"`
	P50ms     float64   `json:"p50_ms"`
	P99ms     float64   `json:"p99_ms"`
	ServerCPU float64   `json:"server_cpu"`
	LoadCPU   float64   `json:"load_cpu"`
	Errors    int64     `json:"errors"`
	CoreBusy  []float64 `json:"core_busy"`
	// Others is the share of the server's core, and of the load tool's,
	// that other processes (the neighbours') took in the window.
	Others [2]float64 `json:"-"`
}

// others works out s.Others from the cores' business, for a server and a
// load tool pinned to one core each.
func (s *sample) others(serverCore, loadCore string) {
	for i, c := range []string{serverCore, loadCore} {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 || n >= len(s.CoreBusy) {
			continue
		}
		own := s.ServerCPU
		if i == 1 {
			own = s.LoadCPU
		}
		s.Others[i] = max(0, s.CoreBusy[n]-own)
	}
}

type config struct {
	root, bin            string
	runs                 int
	duration             time.Duration
	serverCore, loadCore string
	port                 int
	// self is this binary, run again as the host speed probe for probe.
	self      string
	probe     time.Duration
	tolerance float64 // host speed spread a pair may have, 0.08: 8 %
	attempts  int     // times a pair is measured at most
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == probeArg {
		runProbe(os.Args[2])
		return
	}
	runs := flag.Int("runs", 3, "interleaved repetitions")
	duration := flag.Duration("duration", 4*time.Second, "measuring window of each scenario")
	only := flag.String("only", "", "run only the rows whose scenario name (echo, pecho, bflood, bpaced, connect, idle) is in this comma-separated list")
	jsonOut := flag.String("json", "", `write one JSON line per row to this file ("-": standard output, after the table)`)
	serverCore := flag.String("server-core", "0", "taskset core list for the servers")
	loadCore := flag.String("load-core", "1", "taskset core list for the load tool")
	scale := flag.Int("scale", 0, "instead of the table: hold this many idle websockets on sockio")
	hold := flag.Duration("hold", 60*time.Second, "scale: how long to hold them (heartbeat CPU window)")
	probe := flag.Duration("probe", 150*time.Millisecond, "how long each host speed probe runs")
	tolerance := flag.Float64("speed-tolerance", 8, "host speed spread, in %, above which a pair (sockio then Node) is measured again")
	attempts := flag.Int("attempts", 3, "times a pair is measured at most while the host speed is not steady")
	flag.Parse()
	if *probe <= 0 || *tolerance < 0 {
		fail(errors.New("-probe wants a positive duration, -speed-tolerance a percentage"))
	}

	root, err := repoRoot()
	if err != nil {
		fail(err)
	}
	raiseFileLimit()
	bin, err := os.MkdirTemp("", "sockio-compare-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(bin)
	self, err := os.Executable()
	if err != nil {
		fail(err)
	}
	cfg := config{root: root, bin: bin, runs: *runs, duration: *duration, serverCore: *serverCore, loadCore: *loadCore, port: 3300,
		self: self, probe: *probe, tolerance: *tolerance / 100, attempts: max(1, *attempts)}
	if err := cfg.build(); err != nil {
		fail(err)
	}
	if *scale > 0 {
		if err := cfg.runScale(*scale, *hold); err != nil {
			fail(err)
		}
		return
	}
	if err := cfg.installNode(); err != nil {
		fail(err)
	}
	selected := rows
	if *only != "" {
		selected = nil
		for _, r := range rows {
			if strings.Contains(","+*only+",", ","+r.Scenario+",") {
				selected = append(selected, r)
			}
		}
	}
	if *runs < 1 || len(selected) == 0 {
		fail(errors.New("nothing to run"))
	}
	results := make([]rowResult, len(selected))
	for run := 1; run <= *runs; run++ {
		for i, r := range selected {
			results[i].row = r
			p, err := cfg.measurePair(run, r)
			if err != nil {
				fail(err)
			}
			results[i].pairs = append(results[i].pairs, p)
		}
	}
	fmt.Printf("%d interleaved run(s) of pairs (sockio then Node, back to back); sockio, Node = medians of the values;\n"+
		"ratio = median of the pairs' sockio/Node ratios, so that a ratio is only taken within one host speed;\n"+
		"host speed spread = the largest max/min - 1 of one core's host speed probes (before, between, after) in a kept pair,\n"+
		"(N again) = pairs measured again because it was above %.0f %%, (N unsteady) = pairs kept above it after %d attempts;\n"+
		"CPU = share of one core in the measuring window (server / load tool);\n"+
		"others = share of the server's core / the load tool's core that other processes took\n\n", *runs, 100*cfg.tolerance, cfg.attempts)
	fmt.Print(formatTable(results))
	if *jsonOut != "" {
		var w io.Writer = os.Stdout
		if *jsonOut != "-" {
			f, err := os.Create(*jsonOut)
			if err != nil {
				fail(err)
			}
			defer f.Close()
			w = f
		} else {
			fmt.Println()
		}
		enc := json.NewEncoder(w)
		for _, r := range results {
			if err := enc.Encode(r.summary()); err != nil {
				fail(err)
			}
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "compare:", err)
	os.Exit(1)
}

// repoRoot is the module root: the nearest directory up with go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("run from inside the sockio module")
		}
		dir = up
	}
}

// raiseFileLimit lifts the soft open-file limit to the hard one; the
// servers and the load tool inherit it.
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

func (c *config) build() error {
	for _, p := range []string{"app", "load"} {
		pkg := "./bench/compare/app"
		if p == "load" {
			pkg = "./bench/load"
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(c.bin, p), pkg)
		cmd.Dir, cmd.Stderr = c.root, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build %s: %w", pkg, err)
		}
	}
	return nil
}

func (c *config) nodeDir() string { return filepath.Join(c.root, "bench", "compare", "node") }

// installNode runs npm ci when the Node servers are not installed yet.
func (c *config) installNode() error {
	if _, err := os.Stat(filepath.Join(c.nodeDir(), "node_modules", "socket.io")); err == nil {
		return nil
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir, cmd.Stdout, cmd.Stderr = c.nodeDir(), os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm ci in %s: %w", c.nodeDir(), err)
	}
	return nil
}

// startServer starts a fresh server pinned to the server core on a port
// not used before in this run (so that no client port is still in
// TIME_WAIT towards it) and waits until it accepts connections.
func (c *config) startServer(side, nodeGen string) (*exec.Cmd, string, error) {
	c.port++
	addr := "127.0.0.1:" + strconv.Itoa(c.port)
	var cmd *exec.Cmd
	if side == "sockio" {
		cmd = exec.Command("taskset", "-c", c.serverCore, filepath.Join(c.bin, "app"), "-addr", addr)
	} else {
		cmd = exec.Command("taskset", "-c", c.serverCore, "node", "server.js", nodeGen, "127.0.0.1", strconv.Itoa(c.port))
		cmd.Dir = c.nodeDir()
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return cmd, addr, nil
		}
		if time.Now().After(deadline) {
			stop(cmd)
			return nil, "", fmt.Errorf("%s server did not listen on %s", side, addr)
		}
		time.Sleep(20 * time.Millisecond) // polling the port: the server gives no other signal
	}
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// measure runs one row against one fresh server.
func (c *config) measure(r row, side string) (sample, error) {
	srv, addr, err := c.startServer(side, r.Node)
	if err != nil {
		return sample{}, err
	}
	defer stop(srv)
	args := []string{"-c", c.loadCore, filepath.Join(c.bin, "load"),
		"-url", "http://" + addr, "-pid", strconv.Itoa(srv.Process.Pid),
		"-scenario", r.Scenario, "-proto", strconv.Itoa(r.Proto), "-clients", strconv.Itoa(r.Clients),
		"-duration", c.duration.String(), "-per-source", "2000"}
	if r.Interval > 0 {
		args = append(args, "-interval", r.Interval.String())
	}
	s, err := runLoad(args)
	s.others(c.serverCore, c.loadCore)
	return s, err
}

func runLoad(args []string) (sample, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 11*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, "taskset", args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return sample{}, fmt.Errorf("load: %v: %s", err, strings.TrimSpace(errb.String()))
	}
	var s sample
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if line := sc.Bytes(); len(line) > 0 && line[0] == '{' {
			if err := json.Unmarshal(line, &s); err != nil {
				return s, err
			}
			return s, nil
		}
	}
	return s, errors.New("load printed no result")
}

// runScale holds n idle websockets on sockio for hold and prints the RSS
// per session and the server's heartbeat CPU.
func (c *config) runScale(n int, hold time.Duration) error {
	srv, addr, err := c.startServer("sockio", "")
	if err != nil {
		return err
	}
	defer stop(srv)
	s, err := runLoad([]string{"-c", c.loadCore, filepath.Join(c.bin, "load"),
		"-url", "http://" + addr, "-pid", strconv.Itoa(srv.Process.Pid),
		"-scenario", "idle", "-clients", strconv.Itoa(n), "-dialers", "16",
		"-duration", hold.String(), "-per-source", "20000"})
	if err != nil {
		return err
	}
	fmt.Printf("%d idle websocket sessions held %v on sockio (default Options: 25 s ping interval)\n", n, hold)
	fmt.Printf("RSS per session: %.1f KiB\nheartbeat CPU while idle: %.2f%% of one core (load tool %.2f%%)\n",
		s.Value, 100*s.ServerCPU, 100*s.LoadCPU)
	return nil
}
