package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stratagql/strata/test/bench/data"
	"github.com/stratagql/strata/test/bench/internal/proc"
)

// dbMonitor reads the CPU time of the PostgreSQL backends serving
// strata_bench, when the server runs on this machine (its backends' /proc
// entries are readable): the database's share of each request's cost.
type dbMonitor struct {
	conn *pgx.Conn
}

func newDBMonitor(ctx context.Context, dbURL string) (*dbMonitor, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("connect the database monitor: %w", err)
	}
	return &dbMonitor{conn: conn}, nil
}

func (m *dbMonitor) close() { _ = m.conn.Close(context.Background()) }

// snapshot returns each backend's CPU time so far, or nil when the
// backends cannot be read (a server on another machine or in a container).
func (m *dbMonitor) snapshot(ctx context.Context) map[int]time.Duration {
	rows, err := m.conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, data.DBName)
	if err != nil {
		return nil
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil
	}
	out := map[int]time.Duration{}
	for _, pid := range pids {
		if c, err := proc.CPUTime(int(pid)); err == nil {
			out[int(pid)] = c
		}
	}
	if len(pids) > 0 && len(out) == 0 {
		return nil
	}
	return out
}

// cpuBetween is the CPU the backends used between two snapshots (-1 when
// either is unknown). A backend that appeared in between counts in full.
func cpuBetween(before, after map[int]time.Duration) time.Duration {
	if before == nil || after == nil {
		return -1
	}
	var sum time.Duration
	for pid, c := range after {
		sum += c - before[pid]
	}
	return sum
}
