// Package proc reads a process's CPU time and memory from Linux's /proc, for
// the benchmark harness's per-target CPU-per-request and RSS figures.
package proc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ticksPerSecond is USER_HZ, the unit of /proc/<pid>/stat's CPU times; the
// kernel exposes it as 100 on every Linux architecture Go supports.
const ticksPerSecond = 100

// CPUTime returns the user plus system CPU time pid has used so far (its
// own threads; children are not counted).
func CPUTime(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time of process %d: %w", pid, err)
	}
	return parseStat(raw)
}

// parseStat extracts utime+stime from the text of /proc/<pid>/stat. The
// command name (field 2) is in parentheses and may hold spaces, so fields are
// counted from the last ')'.
func parseStat(raw []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(raw, ')')
	if end < 0 {
		return 0, fmt.Errorf("parse /proc stat: no command name")
	}
	// After ")": state(3) ppid(4) ... utime(14) stime(15).
	fields := strings.Fields(string(raw[end+1:]))
	const utime, stime = 14 - 3, 15 - 3
	if len(fields) <= stime {
		return 0, fmt.Errorf("parse /proc stat: %d fields after the command name", len(fields))
	}
	u, err := strconv.ParseInt(fields[utime], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse /proc stat utime: %w", err)
	}
	s, err := strconv.ParseInt(fields[stime], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse /proc stat stime: %w", err)
	}
	return time.Duration(u+s) * time.Second / ticksPerSecond, nil
}

// Memory is a process's resident set size now and at its peak, in bytes.
type Memory struct {
	RSS  int64 // VmRSS
	Peak int64 // VmHWM, the high-water mark since the process started
	// Anon is the anonymous part of RSS (heap, stacks: RssAnon); the rest is
	// mostly file-backed pages, such as the executable's own code and data.
	Anon int64
}

// ReadMemory returns pid's current and peak resident set size.
func ReadMemory(pid int) (Memory, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("read memory of process %d: %w", pid, err)
	}
	return parseStatus(raw)
}

// parseStatus extracts VmRSS and VmHWM (reported in kB) from the text of
// /proc/<pid>/status.
func parseStatus(raw []byte) (Memory, error) {
	var m Memory
	var found int
	for line := range strings.SplitSeq(string(raw), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM" && key != "RssAnon") {
			continue
		}
		f := strings.Fields(val)
		if len(f) == 0 {
			return Memory{}, fmt.Errorf("parse /proc status: empty %s", key)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("parse /proc status %s: %w", key, err)
		}
		switch key {
		case "VmRSS":
			m.RSS = kb << 10
			found++
		case "VmHWM":
			m.Peak = kb << 10
			found++
		case "RssAnon":
			m.Anon = kb << 10
		}
	}
	if found < 2 {
		return Memory{}, fmt.Errorf("parse /proc status: VmRSS or VmHWM missing")
	}
	return m, nil
}
