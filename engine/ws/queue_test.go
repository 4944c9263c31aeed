package ws

import (
	"fmt"
	"testing"
)

func TestSendQueueBoundsAndOrder(t *testing.T) {
	q := newSendQueue(3)
	for i := range 3 {
		if !q.push([]byte(fmt.Sprint(i))) {
			t.Fatalf("push %d refused below the bound", i)
		}
	}
	if q.push([]byte("3")) {
		t.Fatal("push accepted beyond the bound")
	}
	select {
	case <-q.ready:
	default:
		t.Fatal("no ready signal after a push")
	}
	got := q.take()
	if len(got) != 3 || string(got[0]) != "0" || string(got[2]) != "2" {
		t.Fatalf("take: %q", got)
	}
	if len(q.take()) != 0 || !q.push([]byte("again")) {
		t.Fatal("take did not empty the queue")
	}
}
