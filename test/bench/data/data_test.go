package data

import "testing"

func TestURL(t *testing.T) {
	got, err := URL("postgres://postgres@127.0.0.1:5432/postgres", "strata_bench")
	if err != nil || got != "postgres://postgres@127.0.0.1:5432/strata_bench?sslmode=disable" {
		t.Errorf("URL = %q, %v", got, err)
	}
	got, err = URL("postgresql://u:p@127.0.0.1/x?sslmode=require", "strata_bench")
	if err != nil || got != "postgresql://u:p@127.0.0.1/strata_bench?sslmode=require" {
		t.Errorf("URL kept sslmode: %q, %v", got, err)
	}
	if _, err := URL("host=127.0.0.1 dbname=x", "strata_bench"); err == nil {
		t.Error("URL accepted a key=value string")
	}
}
