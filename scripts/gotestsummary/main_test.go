package main

import (
	"strings"
	"testing"
)

func ev(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func TestSummarize(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		want tally
		out  []string // lines the output must contain, in order
		not  []string // lines it must not contain
	}{
		{
			name: "all pass",
			in: ev(
				`{"Action":"start","Package":"p"}`,
				`{"Action":"run","Package":"p","Test":"TestA"}`,
				`{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}`,
				`{"Action":"run","Package":"p","Test":"TestA/sub"}`,
				`{"Action":"output","Package":"p","Test":"TestA/sub","Output":"    --- PASS: TestA/sub (0.00s)\n"}`,
				`{"Action":"pass","Package":"p","Test":"TestA/sub"}`,
				`{"Action":"output","Package":"p","Test":"TestA","Output":"--- PASS: TestA (0.00s)\n"}`,
				`{"Action":"pass","Package":"p","Test":"TestA"}`,
				`{"Action":"output","Package":"p","Output":"PASS\n"}`,
				`{"Action":"output","Package":"p","Output":"ok  \tp\t0.01s\n"}`,
				`{"Action":"pass","Package":"p"}`,
				`{"Action":"output","Package":"q","Output":"?   \tq\t[no test files]\n"}`,
				`{"Action":"skip","Package":"q"}`,
			),
			want: tally{passed: 2},
			out:  []string{"ok  \tp\t0.01s", "?   \tq\t[no test files]", "2 passed, 0 failed"},
			not:  []string{"--- PASS", "PASS", "=== RUN"},
		},
		{
			name: "a failed subtest",
			in: ev(
				`{"Action":"run","Package":"p","Test":"TestB"}`,
				`{"Action":"output","Package":"p","Test":"TestB","Output":"=== RUN   TestB\n"}`,
				`{"Action":"output","Package":"p","Test":"TestB/x","Output":"    b_test.go:9: want 1, got 2\n"}`,
				`{"Action":"fail","Package":"p","Test":"TestB/x"}`,
				`{"Action":"output","Package":"p","Test":"TestB","Output":"--- FAIL: TestB (0.00s)\n"}`,
				`{"Action":"fail","Package":"p","Test":"TestB"}`,
				`{"Action":"run","Package":"p","Test":"TestC"}`,
				`{"Action":"skip","Package":"p","Test":"TestC"}`,
				`{"Action":"output","Package":"p","Output":"FAIL\n"}`,
				`{"Action":"output","Package":"p","Output":"FAIL\tp\t0.02s\n"}`,
				`{"Action":"fail","Package":"p"}`,
			),
			want: tally{failed: 2, skipped: 1},
			out:  []string{"    b_test.go:9: want 1, got 2", "--- FAIL: TestB (0.00s)", "FAIL\tp\t0.02s", "0 passed, 2 failed, 1 skipped"},
			not:  []string{"=== RUN"},
		},
		{
			name: "a build failure",
			in: ev(
				`{"ImportPath":"p [p.test]","Action":"build-output","Output":"p/a_test.go:3:1: syntax error\n"}`,
				`{"ImportPath":"p [p.test]","Action":"build-fail"}`,
				`{"Action":"start","Package":"p"}`,
				`{"Action":"output","Package":"p","Output":"FAIL\tp [build failed]\n"}`,
				`{"Action":"fail","Package":"p","FailedBuild":"p [p.test]"}`,
			),
			want: tally{failed: 1},
			out:  []string{"p/a_test.go:3:1: syntax error", "FAIL\tp [build failed]", "0 passed, 1 failed"},
		},
		{
			name: "a crash mid-test and a line that is no event",
			in: ev(
				`go: downloading example.com/x v1.0.0`,
				`{"Action":"run","Package":"p","Test":"TestD"}`,
				`{"Action":"output","Package":"p","Test":"TestD","Output":"panic: boom\n"}`,
				`{"Action":"output","Package":"p","Output":"FAIL\tp\t0.01s\n"}`,
				`{"Action":"fail","Package":"p"}`,
			),
			want: tally{failed: 1},
			out:  []string{"go: downloading example.com/x v1.0.0", "panic: boom", "FAIL\tp\t0.01s", "0 passed, 1 failed"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			got, err := summarize(strings.NewReader(c.in), &b)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("tally %+v, want %+v", got, c.want)
			}
			lines := strings.Split(b.String(), "\n")
			i := 0
			for _, l := range lines {
				if i < len(c.out) && l == c.out[i] {
					i++
				}
				for _, n := range c.not {
					if strings.HasPrefix(l, n) {
						t.Errorf("output has %q", l)
					}
				}
			}
			if i < len(c.out) {
				t.Errorf("output lacks %q (in order); got:\n%s", c.out[i], b.String())
			}
			if last := lines[len(lines)-2]; last != c.out[len(c.out)-1] {
				t.Errorf("last line %q, want %q", last, c.out[len(c.out)-1])
			}
		})
	}
}
