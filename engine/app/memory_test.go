package app

import (
	"runtime"
	"testing"
	"time"
)

// forcedGCs counts the process's forced garbage collections (FreeOSMemory
// is one).
func forcedGCs() uint32 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.NumForcedGC
}

// waitForcedGC waits up to d for a forced collection after the count n.
func waitForcedGC(n uint32, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if forcedGCs() != n {
			return true
		}
	}
	return false
}

func TestMemoryReleasedAfterAMetadataChange(t *testing.T) {
	n := forcedGCs()
	base, _, stop := startEngineOn(t, "CREATE TABLE a (id int PRIMARY KEY)")
	defer func() { _ = stop() }()
	// The start-up's snapshot is released too (unless that was before n).
	waitForcedGC(n, releaseDelay+2*time.Second)
	n = forcedGCs()
	var resp map[string]any
	postJSON(t, base+"/v1/metadata", map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "a"}}, &resp)
	if resp["message"] != "success" {
		t.Fatalf("pg_track_table: %v", resp)
	}
	if !waitForcedGC(n, releaseDelay+5*time.Second) {
		t.Fatal("no release of memory after a metadata change")
	}
}
