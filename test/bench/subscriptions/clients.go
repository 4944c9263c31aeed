package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// subscriptionQuery is every subscriber's operation: the tracks of one
// album, as role customer. All subscribers share its text (the album is a
// variable), so they differ only in variables and session.
const subscriptionQuery = `subscription Tracks($album: Int!) {
  track(where: {album_id: {_eq: $album}}, order_by: {track_id: asc}) { track_id name milliseconds unit_price }
}`

// subscriber is one WebSocket with one live query (graphql-transport-ws).
type subscriber struct {
	group, userID int
	album         int
	conn          *websocket.Conn
	initial       chan struct{} // closed by the first result
	nonEmpty      atomic.Bool   // the last result has rows
	round         atomic.Int64  // last write round it was counted for
}

// round is one write: the group whose rows it changed and when.
type round struct {
	n     int64
	group int
	t0    time.Time
	want  int64
	got   atomic.Int64
	done  chan struct{}
	mu    sync.Mutex
	lat   []time.Duration
}

// fleet is the subscribers and what they receive.
type fleet struct {
	subs     []*subscriber
	cur      atomic.Pointer[round]
	spurious atomic.Int64 // results to subscribers whose data did not change
	errors   atomic.Int64 // error or complete messages, read failures
	firstErr atomic.Pointer[string]
	wg       sync.WaitGroup
}

func (f *fleet) fail(s string) {
	f.errors.Add(1)
	f.firstErr.CompareAndSwap(nil, &s)
}

// dial opens n subscribers against base: subscriber i is in group i mod
// len(albums), with user id i+1, reading albums[group]. It returns once
// every subscriber has its first result.
func dial(ctx context.Context, base string, n int, albums []int) (*fleet, error) {
	f := &fleet{subs: make([]*subscriber, n)}
	for i := range f.subs {
		g := i % len(albums)
		f.subs[i] = &subscriber{group: g, userID: i + 1, album: albums[g], initial: make(chan struct{})}
	}
	url := "ws" + strings.TrimPrefix(base, "http") + "/v1/graphql"
	sem := make(chan struct{}, 32) // dials in flight
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for _, s := range f.subs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f.open(ctx, url, s); err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		f.close()
		return nil, err
	default:
	}
	deadline := time.NewTimer(2 * time.Minute)
	defer deadline.Stop()
	for i, s := range f.subs {
		select {
		case <-s.initial:
		case <-deadline.C:
			f.close()
			return nil, fmt.Errorf("subscriber %d has no first result after 2 minutes (errors: %d, first: %v)", i, f.errors.Load(), f.firstError())
		case <-ctx.Done():
			f.close()
			return nil, ctx.Err()
		}
	}
	return f, nil
}

func (f *fleet) firstError() string {
	if p := f.firstErr.Load(); p != nil {
		return *p
	}
	return ""
}

// open connects s, subscribes and starts its reader.
func (f *fleet) open(ctx context.Context, url string, s *subscriber) error {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(dctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return fmt.Errorf("dial %s: %w", url, err)
	}
	conn.SetReadLimit(1 << 20)
	write := func(msg any) error {
		b, _ := json.Marshal(msg)
		return conn.Write(dctx, websocket.MessageText, b)
	}
	headers := map[string]string{"x-hasura-admin-secret": adminSecret, "x-hasura-role": "customer", "x-hasura-user-id": strconv.Itoa(s.userID)}
	if err := write(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": headers}}); err != nil {
		conn.CloseNow()
		return fmt.Errorf("connection_init: %w", err)
	}
	_, b, err := conn.Read(dctx)
	if err != nil || !strings.Contains(string(b), `"connection_ack"`) {
		conn.CloseNow()
		return fmt.Errorf("want connection_ack, got %s (%v)", b, err)
	}
	if err := write(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query": subscriptionQuery, "variables": map[string]any{"album": s.album}}}); err != nil {
		conn.CloseNow()
		return fmt.Errorf("subscribe: %w", err)
	}
	s.conn = conn
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		f.read(s)
	}()
	return nil
}

// message is what the reader decodes of a server message.
type message struct {
	Type    string `json:"type"`
	Payload struct {
		Data   map[string][]json.RawMessage `json:"data"`
		Errors json.RawMessage              `json:"errors"`
	} `json:"payload"`
}

// read receives s's messages until its socket closes.
func (f *fleet) read(s *subscriber) {
	first := true
	for {
		_, b, err := s.conn.Read(context.Background())
		at := time.Now()
		if err != nil {
			if first {
				f.fail(fmt.Sprintf("user %d: read before the first result: %v", s.userID, err))
				close(s.initial)
			}
			return
		}
		var m message
		if err := json.Unmarshal(b, &m); err != nil {
			f.fail(fmt.Sprintf("user %d: bad message %.200s", s.userID, b))
			continue
		}
		switch m.Type {
		case "ping":
			_ = s.conn.Write(context.Background(), websocket.MessageText, []byte(`{"type":"pong"}`))
			continue
		case "pong":
			continue
		case "next":
		default:
			f.fail(fmt.Sprintf("user %d: %.300s", s.userID, b))
			if first {
				first = false
				close(s.initial)
			}
			continue
		}
		if m.Payload.Errors != nil || m.Payload.Data == nil {
			f.fail(fmt.Sprintf("user %d: %.300s", s.userID, b))
		}
		s.nonEmpty.Store(len(m.Payload.Data["track"]) > 0)
		if first {
			first = false
			close(s.initial)
			continue
		}
		r := f.cur.Load()
		if r == nil || r.group != s.group || s.round.Swap(r.n) == r.n {
			f.spurious.Add(1)
			continue
		}
		r.mu.Lock()
		r.lat = append(r.lat, at.Sub(r.t0))
		r.mu.Unlock()
		if r.got.Add(1) == r.want {
			close(r.done)
		}
	}
}

// affected is how many subscribers of group g see rows (and so receive a
// message when the group's rows change).
func (f *fleet) affected(g int) int64 {
	var n int64
	for _, s := range f.subs {
		if s.group == g && s.nonEmpty.Load() {
			n++
		}
	}
	return n
}

// close closes every socket and waits for the readers.
func (f *fleet) close() {
	for _, s := range f.subs {
		if s.conn != nil {
			s.conn.CloseNow()
		}
	}
	f.wg.Wait()
}
