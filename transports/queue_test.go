package transports

import (
	"errors"
	"testing"

	"github.com/sockio/sockio/payload"
)

func text(s string) payload.Frame { return payload.Frame{Type: payload.FrameMessage, Data: []byte(s)} }

func TestQueueBoundsVolatileAndBytes(t *testing.T) {
	q := NewQueue(3)
	notified := 0
	q.SetNotify(func() { notified++ })

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
