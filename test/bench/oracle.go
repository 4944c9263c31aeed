package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/stratagql/strata/test/bench/data"
)

// oracleData runs each query's oracle SQL and returns the decoded data.
func oracleData(ctx context.Context, dbURL, sql string) (any, error) {
	db, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", data.DBName, err)
	}
	defer db.Close(context.Background())
	var raw []byte
	if err := db.QueryRow(ctx, sql).Scan(&raw); err != nil {
		return nil, fmt.Errorf("run the oracle SQL: %w", err)
	}
	return decodeJSON(raw)
}
