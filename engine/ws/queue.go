package ws

import "sync"

// sendQueue is a connection's bounded queue of outgoing messages. Unlike a
// buffered channel it holds memory only for the messages waiting, so an
// idle connection costs a few words however large its bound.
type sendQueue struct {
	mu    sync.Mutex
	msgs  [][]byte
	max   int
	ready chan struct{} // signalled (never blocking) when msgs becomes non-empty
}

func newSendQueue(max int) *sendQueue {
	return &sendQueue{max: max, ready: make(chan struct{}, 1)}
}

// push queues msg; false means the queue is full.
func (q *sendQueue) push(msg []byte) bool {
	q.mu.Lock()
	if len(q.msgs) >= q.max {
		q.mu.Unlock()
		return false
	}
	q.msgs = append(q.msgs, msg)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// take removes and returns every queued message, oldest first.
func (q *sendQueue) take() [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	msgs := q.msgs
	q.msgs = nil
	return msgs
}
