package transports

import (
	"errors"
	"strings"
	"testing"

	"github.com/sockio/sockio/payload"
)

func text(s string) payload.Frame { return payload.Frame{Type: payload.FrameMessage, Data: []byte(s)} }

func TestQueueBoundsVolatileAndBytes(t *testing.T) {
	q := NewQueue(3, 0)
	notified := 0
	q.Attach(func() { notified++ })

	if ok, err := q.Push(true, text("v")); !ok || err != nil {
		t.Fatalf("volatile push to an empty queue: %v %v", ok, err)
	}
	if ok, err := q.Push(true, text("dropped")); ok || err != nil {
		t.Fatalf("volatile push to a busy queue must be dropped: %v %v", ok, err)
	}
	if _, err := q.Push(false, text("ab"), text("c")); err != nil {
		t.Fatal(err)
	}
	if got, want := q.Bytes(), (1+1)+(2+1)+(1+1); got != want {
		t.Errorf("Bytes = %d, want %d (data plus the type byte per frame)", got, want)
	}
	if _, err := q.Push(false, text("over")); !errors.Is(err, ErrQueueFull) {
		t.Errorf("push past the limit: %v, want ErrQueueFull", err)
	}
	if notified != 2 {
		t.Errorf("notified %d times, want 2 (one per accepted push)", notified)
	}
	frames := q.Take(nil)
	if len(frames) != 3 || string(frames[1].Data) != "ab" || q.Len() != 0 || q.Bytes() != 0 {
		t.Errorf("Take = %d frames, then Len %d Bytes %d", len(frames), q.Len(), q.Bytes())
	}
	q.Close()
	if _, err := q.Push(false, text("late")); !errors.Is(err, ErrQueueClosed) {
		t.Errorf("push after Close: %v, want ErrQueueClosed", err)
	}
}

// TestQueueByteLimit: the byte limit refuses a push that would take the
// waiting bytes past it, whatever the frame count; a volatile push is
// dropped instead; one push larger than the limit passes an empty queue;
// Discard drops what waits.
func TestQueueByteLimit(t *testing.T) {
	q := NewQueue(1000, 100)
	big := text(strings.Repeat("x", 59)) // 60 bytes with its type
	if _, err := q.Push(false, big); err != nil {
		t.Fatal(err)
	}
	if ok, err := q.Push(true, text("v")); ok || err != nil {
		t.Errorf("volatile push behind waiting frames: %v %v, want dropped", ok, err)
	}
	if _, err := q.Push(false, text(strings.Repeat("y", 39))); err != nil { // 60+40 = 100: at the limit
		t.Fatalf("push up to the limit: %v", err)
	}
	if _, err := q.Push(false, text("")); !errors.Is(err, ErrQueueFull) {
		t.Errorf("one byte past the limit: %v, want ErrQueueFull", err)
	}
	if q.Len() != 2 || q.Bytes() != 100 {
		t.Errorf("after the refused push: %d frames, %d bytes; want 2, 100 (all or none)", q.Len(), q.Bytes())
	}
	q.Take(nil)

	huge := text(strings.Repeat("z", 500))
	if ok, err := q.Push(true, huge); ok || err != nil {
		t.Errorf("volatile push larger than the limit: %v %v, want dropped", ok, err)
	}
	if _, err := q.Push(false, huge); err != nil {
		t.Errorf("one push larger than the limit into an empty queue: %v, want accepted", err)
	}
	if _, err := q.Push(false, text("a")); !errors.Is(err, ErrQueueFull) {
		t.Errorf("push behind an oversized one: %v, want ErrQueueFull", err)
	}

	q.Discard()
	if q.Len() != 0 || q.Bytes() != 0 || q.frames != nil {
		t.Errorf("after Discard: %d frames, %d bytes, backing array kept: %v", q.Len(), q.Bytes(), q.frames != nil)
	}
	if _, err := q.Push(false, text("late")); !errors.Is(err, ErrQueueClosed) {
		t.Errorf("push after Discard: %v, want ErrQueueClosed", err)
	}
}

// TestQueueVolatileFrameLimit: a volatile push of more frames than the
// limit is dropped, not an error.
func TestQueueVolatileFrameLimit(t *testing.T) {
	q := NewQueue(2, 0)
	if ok, err := q.Push(true, text("a"), text("b"), text("c")); ok || err != nil {
		t.Errorf("volatile push past the frame limit: %v %v, want dropped", ok, err)
	}
}

// TestQueueDrainerHandover: a transport that detaches after another has
// attached (the polling transport an upgrade replaced, closing late) does
// not silence the new drainer; a current drainer's detach stops its
// wake-ups.
func TestQueueDrainerHandover(t *testing.T) {
	q := NewQueue(0, 0)
	var old, next int
	detachOld := q.Attach(func() { old++ })
	_, _ = q.Push(false, text("a"))
	detachNext := q.Attach(func() { next++ })
	detachOld()
	_, _ = q.Push(false, text("b"))
	if old != 1 || next != 1 {
		t.Fatalf("wake-ups: old %d, next %d; want 1, 1", old, next)
	}
	detachNext()
	_, _ = q.Push(false, text("c"))
	if next != 1 {
		t.Fatalf("a detached drainer was woken: %d", next)
	}
}
