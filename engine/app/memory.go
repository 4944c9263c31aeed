package app

import (
	"context"
	"runtime/debug"
	"sync"
	"time"

	"github.com/stratagql/strata/engine/state"
)

// releaseAfterSwaps gives the memory freed by metadata changes back to the
// operating system once a change has settled (releaseDelay after the last
// swap, so that a burst of changes costs one release and the request that
// made the change has let go of its garbage): the build's garbage and the
// replaced schema (a schema of 5,000 tables is ~170 MB, its build
// allocates about twice that). Left to itself the Go runtime keeps those
// pages until its next garbage collection, which an engine answering few
// requests reaches only through the periodic forced one (~2 minutes), and
// then still keeps memory up to its heap goal: ~290 MB of RSS instead of
// ~230 MB at 5,000 tables. A release costs a full collection (~0.1 s of
// CPU at that size); changes are rare.
//
// It runs until ctx ends; wg tracks it.
func releaseAfterSwaps(ctx context.Context, mgr *state.Manager, wg *sync.WaitGroup) {
	swaps, unsubscribe := mgr.Subscribe()
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer unsubscribe()
		settle := time.NewTimer(releaseDelay)
		settle.Stop()
		defer settle.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-swaps:
				settle.Reset(releaseDelay)
			case <-settle.C:
				debug.FreeOSMemory()
			}
		}
	}()
}

// releaseDelay is how long after the last swap memory is released.
const releaseDelay = time.Second
