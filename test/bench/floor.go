package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// floorSpec is what the floor serves: for each query name, the SQL Strata
// generated for it.
type floorSpec struct {
	Queries map[string]floorQuery `json:"queries"`
}

// floorQuery is one query's root fields and the session Strata would run
// them with.
type floorQuery struct {
	Fields []floorField `json:"fields"`
	// Session is the `hasura.user` JSON, set (as Strata sets it) only when
	// the SQL reads it.
	Session string `json:"session"`
}

// floorField is one root field: its response key and its SQL.
type floorField struct {
	Alias string            `json:"alias"`
	SQL   string            `json:"sql"`
	Args  []json.RawMessage `json:"args"`
}

// floorPoolSize matches Strata's default pool (HASURA_GRAPHQL_PG_CONNECTIONS).
const floorPoolSize = 50

// floorMain is `bench floor`: a minimal net/http server that answers
// POST /q/NAME by running exactly query NAME's SQL with pgx and writing the
// bytes PostgreSQL returned inside {"data":{...}}.
func floorMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	dbURL := fs.String("database-url", "", "PostgreSQL URL of the database")
	specPath := fs.String("spec", "", "JSON file of the queries' SQL")
	listen := fs.String("listen", "127.0.0.1:0", "loopback address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	raw, err := os.ReadFile(*specPath)
	if err != nil {
		return fmt.Errorf("read the floor spec: %w", err)
	}
	var spec floorSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("decode the floor spec %s: %w", *specPath, err)
	}
	cfg, err := pgxpool.ParseConfig(*dbURL)
	if err != nil {
		return fmt.Errorf("floor database URL: %w", err)
	}
	cfg.MaxConns = floorPoolSize
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("floor pool: %w", err)
	}
	defer pool.Close()
	h, err := newFloorHandler(pool, spec)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*listen)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("floor: listen address %q is not a loopback address", *listen)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("floor: listen on %s: %w", *listen, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("floor: serve: %w", err)
	}
	return nil
}

// preparedFloor is a query ready to run: arguments decoded, the response's
// fixed parts built.
type preparedFloor struct {
	fields  []floorField
	args    [][]any
	session string // "" when the SQL does not read hasura.user
	keys    [][]byte
}

// newFloorHandler builds the floor's handler for spec.
func newFloorHandler(pool *pgxpool.Pool, spec floorSpec) (http.Handler, error) {
	prepared := map[string]*preparedFloor{}
	for name, q := range spec.Queries {
		if len(q.Fields) == 0 {
			return nil, fmt.Errorf("floor query %s has no SQL", name)
		}
		p := &preparedFloor{fields: q.Fields}
		for i, f := range q.Fields {
			args, err := decodeArgs(f.Args)
			if err != nil {
				return nil, fmt.Errorf("floor query %s: %w", name, err)
			}
			p.args = append(p.args, args)
			key, _ := json.Marshal(f.Alias)
			sep := ","
			if i == 0 {
				sep = `{"data":{`
			}
			p.keys = append(p.keys, append([]byte(sep), append(key, ':')...))
			if strings.Contains(f.SQL, "hasura.user") {
				p.session = q.Session
			}
		}
		prepared[name] = p
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("OK")) })
	mux.HandleFunc("POST /q/{name}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		p := prepared[r.PathValue("name")]
		if p == nil {
			http.Error(w, "no such query", http.StatusNotFound)
			return
		}
		results, err := p.run(r.Context(), pool)
		if err != nil {
			w.Header().Set("Content-Type", "application/json")
			msg, _ := json.Marshal(err.Error())
			_, _ = fmt.Fprintf(w, `{"errors":[{"message":%s}]}`, msg)
			return
		}
		var out bytes.Buffer
		for i, raw := range results {
			out.Write(p.keys[i])
			out.Write(raw)
		}
		out.WriteString("}}")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(out.Bytes())
	})
	return mux, nil
}

// run executes the query's SQL: one statement alone, or (with a session
// or several root fields) a pipelined batch as Strata sends it.
func (p *preparedFloor) run(ctx context.Context, pool *pgxpool.Pool) ([][]byte, error) {
	out := make([][]byte, len(p.fields))
	if len(p.fields) == 1 && p.session == "" {
		if err := pool.QueryRow(ctx, p.fields[0].SQL, p.args[0]...).Scan(&out[0]); err != nil {
			return nil, fmt.Errorf("floor: %w", err)
		}
	} else {
		batch := &pgx.Batch{}
		if p.session != "" {
			batch.Queue("SELECT set_config('hasura.user', $1, true)", p.session)
		}
		for i, f := range p.fields {
			batch.Queue(f.SQL, p.args[i]...)
		}
		br := pool.SendBatch(ctx, batch)
		if p.session != "" {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return nil, fmt.Errorf("floor: set session: %w", err)
			}
		}
		for i := range p.fields {
			if err := br.QueryRow().Scan(&out[i]); err != nil {
				br.Close()
				return nil, fmt.Errorf("floor: %w", err)
			}
		}
		if err := br.Close(); err != nil {
			return nil, fmt.Errorf("floor: %w", err)
		}
	}
	for i := range out {
		if out[i] == nil {
			out[i] = []byte("null")
		}
	}
	return out, nil
}

// decodeArgs turns explain's JSON arguments into pgx arguments: strings
// stay strings, whole numbers become int64, other numbers float64, and
// objects and arrays their JSON text.
func decodeArgs(raw []json.RawMessage) ([]any, error) {
	args := make([]any, len(raw))
	for i, r := range raw {
		v, err := decodeJSON(r)
		if err != nil {
			return nil, fmt.Errorf("argument $%d: %w", i+1, err)
		}
		switch x := v.(type) {
		case json.Number:
			if n, err := x.Int64(); err == nil {
				args[i] = n
			} else if f, err := x.Float64(); err == nil {
				args[i] = f
			} else {
				return nil, fmt.Errorf("argument $%d: number %s: %w", i+1, x, err)
			}
		case map[string]any, []any:
			args[i] = string(r)
		default: // string, bool, nil
			args[i] = x
		}
	}
	return args, nil
}

// floorVersion names what the floor is built from.
func floorVersion() string {
	v := runtime.Version() + " net/http"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/jackc/pgx/v5" {
				v += " + pgx " + d.Version
			}
		}
	}
	return v
}
