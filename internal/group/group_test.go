package group

import "testing"

func TestIdle(t *testing.T) {
	var g Group
	select {
	case <-g.Idle():
	default:
		t.Fatal("an empty group is not idle")
	}
	g.Add(2)
	idle := g.Idle()
	g.Done()
	select {
	case <-idle:
		t.Fatal("idle with one member left")
	default:
	}
	g.Done()
	<-idle
	g.Add(1) // reused
	select {
	case <-g.Idle():
		t.Fatal("idle with a member")
	default:
	}
	g.Done()
	g.Wait()
}

func TestNegative(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	var g Group
	g.Done()
}
