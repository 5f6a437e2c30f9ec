package namespace_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sockio/sockio/namespace"
)

func TestSocketUseRefusesEvent(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	var log []string
	var errs []error
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.Use(func(ev *namespace.Event, next func() error) error {
			log = append(log, "mw1:"+ev.Name)
			return next()
		})
		s.Use(func(ev *namespace.Event, next func() error) error {
			log = append(log, "mw2:"+ev.Name)
			if ev.Name == "forbidden" {
				return errors.New("forbidden")
			}
			return next()
		})
		s.OnAny(func(ev *namespace.Event) { log = append(log, "any:"+ev.Name) })
		s.On("ok", func(*namespace.Event) { log = append(log, "ok") })
		s.On("forbidden", func(ev *namespace.Event) { log = append(log, "forbidden"); ev.Ack("reached") })
		s.OnError(func(err error) { errs = append(errs, err) })
	})
	c, conn, s := e.join("/")
	e.recv(c, `21["forbidden",1]`)
	e.recv(c, `2["ok"]`)
	want := []string{"mw1:forbidden", "mw2:forbidden", "mw1:ok", "mw2:ok", "any:ok", "ok"}
	if !slices.Equal(log, want) {
		t.Errorf("ran %q, want %q", log, want)
	}
	if len(errs) != 1 || errs[0].Error() != "forbidden" {
		t.Errorf("OnError got %v, want [forbidden]", errs)
	}
	if got := conn.texts(); len(got) != 0 {
		t.Errorf("client got %q, want nothing (no answer to a refused event)", got)
	}
	if !s.Connected() || len(conn.closeReasons()) != 0 {
		t.Errorf("socket disconnected after a refused event")
	}
}

func TestSocketUseWrapsHandler(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	var seen []error
	var errs []error
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.Use(func(ev *namespace.Event, next func() error) error {
			err := next()
			seen = append(seen, err)
			if err2 := next(); err2 == nil {
				t.Errorf("second next() returned nil")
			}
			return err
		})
		s.On("boom", func(*namespace.Event) { panic("kaboom") })
		s.On("fine", func(*namespace.Event) {})
		s.OnError(func(err error) { errs = append(errs, err) })
	})
	c, _, s := e.join("/")
	e.recv(c, `2["boom"]`)
	e.recv(c, `2["fine"]`)
	if len(seen) != 2 || seen[1] != nil {
		t.Fatalf("middleware saw %v, want [panic, nil]", seen)
	}
	var pe *namespace.PanicError
	if !errors.As(seen[0], &pe) || pe.Value != "kaboom" {
		t.Errorf("middleware saw %v, want a PanicError with kaboom", seen[0])
	}
	if len(errs) != 1 || !errors.As(errs[0], &pe) {
		t.Errorf("OnError got %v, want the panic", errs)
	}
	if !strings.Contains(e.log.String(), "kaboom") {
		t.Errorf("panic not logged: %s", e.log.String())
	}
	if !s.Connected() {
		t.Errorf("socket disconnected")
	}
}

func TestSocketUseMiddlewarePanicAndSilentDrop(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	var ran []string
	var errs []error
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.Use(func(ev *namespace.Event, next func() error) error {
			switch ev.Name {
			case "panic":
				panic("in middleware")
			case "drop":
				return nil
			}
			return next()
		})
		s.OnAny(func(ev *namespace.Event) { ran = append(ran, ev.Name) })
		s.OnError(func(err error) { errs = append(errs, err) })
	})
	c, _, _ := e.join("/")
	e.recv(c, `2["panic"]`)
	e.recv(c, `2["drop"]`)
	e.recv(c, `2["pass"]`)
	if !slices.Equal(ran, []string{"pass"}) {
		t.Errorf("handlers ran for %q, want [pass]", ran)
	}
	var pe *namespace.PanicError
	if len(errs) != 1 || !errors.As(errs[0], &pe) {
		t.Errorf("OnError got %v, want the middleware's panic only", errs)
	}
}

func TestOnAnyOutgoing(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	type out struct {
		name string
		args string
	}
	var seen []out
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("ask", func(ev *namespace.Event) { ev.Ack("answer") })
	})
	c, conn, s := e.join("/")
	s.OnAnyOutgoing(func(event string, args namespace.Args) {
		vals, _ := args.Values() // emits and broadcasts run it on this goroutine
		seen = append(seen, out{event, strings.TrimSuffix(fmt.Sprintln(vals...), "\n")})
	})
	_, _, other := e.join("/")
	if err := s.Emit("direct", 1, "two"); err != nil {
		t.Fatal(err)
	}
	if err := s.Volatile().Emit("vol"); err != nil {
		t.Fatal(err)
	}
	if err := other.Broadcast().Emit("bcast", true); err != nil {
		t.Fatal(err)
	}
	if err := e.reg.Of("/").Emit("all", []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := other.Emit("not-mine"); err != nil {
		t.Fatal(err)
	}
	// A broadcast with acks: sent, then given up at once (ctx is done).
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _ = e.reg.Of("/").EmitWithAck(ctx, "with-ack", 3)
	if err := s.Emit("last"); err != nil {
		t.Fatal(err)
	}
	e.recv(c, `25["ask"]`) // the ack reply is not an outgoing event
	conn.waitSent(t, 7)
	want := []out{{"direct", "1 two"}, {"vol", ""}, {"bcast", "true"}, {"all", "[1 2]"}, {"with-ack", "3"}, {"last", ""}}
	if !slices.Equal(seen, want) {
		t.Errorf("OnAnyOutgoing saw %v, want %v", seen, want)
	}
}
