package main

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestPostGraphileSkippedWithoutNPM(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no npm, no node
	c := &config{PeersDir: t.TempDir()}
	_, _, err := installPostGraphile(context.Background(), c, t.Logf)
	if !errors.Is(err, errSkip) || !strings.Contains(err.Error(), "npm is not installed") {
		t.Fatalf("installPostGraphile without npm = %v, want a skip naming npm", err)
	}
}
