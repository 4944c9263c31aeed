package changefeed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stratagql/strata/engine/database"
)

// ApplicationName is the application_name of the LISTEN connection, so that
// it can be told apart in pg_stat_activity.
const ApplicationName = "strata-changefeed"

const (
	// minBackoff and maxBackoff bound the wait between reconnection
	// attempts (doubling from the first to the second).
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
	// idleCheck is how long the connection may stay silent before Run
	// checks that it is still alive (a peer that vanished without closing
	// the TCP connection would otherwise go unnoticed).
	idleCheck = 30 * time.Second
	// checkTimeout bounds that check.
	checkTimeout = 5 * time.Second
)

// Run LISTENs on a dedicated connection (opened with the pool's connection
// settings, outside the pool) and wakes the watchers of each table notified,
// until ctx ends; it then returns nil, leaving no goroutine behind. When the
// connection fails it reconnects after a backoff (growing while
// connections fail or last only briefly, so that a flapping connection
// cannot cause a storm of reconnections and wake-ups), and each time it is
// listening again (including the first time) it wakes every watcher once,
// since changes made in between were not notified to it.
//
// Run also installs, in the background, the triggers of the tracked tables
// Watch is asked for (see Watch); call it once per Feed.
func (f *Feed) Run(ctx context.Context) error {
	installerDone := make(chan struct{})
	go func() {
		defer close(installerDone)
		f.installer(ctx)
	}()
	defer func() { <-installerDone }()
	backoff := minBackoff
	for {
		conn, err := f.listen(ctx)
		if err == nil {
			f.wakeAll()
			started := time.Now()
			err = f.relay(ctx, conn)
			closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), checkTimeout)
			_ = conn.Close(closeCtx)
			cancel()
			if time.Since(started) > maxBackoff {
				backoff = minBackoff
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		f.log.Warn("change feed: not listening, reconnecting", "error", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// listen opens the dedicated connection and LISTENs on Channel.
func (f *Feed) listen(ctx context.Context) (*pgx.Conn, error) {
	return database.Listen(ctx, f.pool, Channel, ApplicationName)
}

// relay wakes the watchers of each notified table until ctx ends (nil) or
// the connection fails (the error).
func (f *Feed) relay(ctx context.Context, conn *pgx.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, idleCheck)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case err == nil:
			if t, ok := parsePayload(n.Payload); ok {
				f.wake(t)
			} else {
				f.log.Debug("change feed: ignoring a notification it did not send", "payload", n.Payload)
			}
		case errors.Is(err, context.DeadlineExceeded):
			cctx, cancel := context.WithTimeout(ctx, checkTimeout)
			err = conn.Ping(cctx)
			cancel()
			if err != nil && ctx.Err() == nil {
				return fmt.Errorf("check idle connection: %w", err)
			}
		default:
			return err
		}
	}
}
