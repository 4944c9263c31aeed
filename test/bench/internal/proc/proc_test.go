package proc

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	raw := []byte("4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 9 0 1000 0 0\n")
	got, err := parseStat(raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2800 * time.Millisecond; got != want {
		t.Errorf("parseStat = %v, want %v", got, want)
	}
	if _, err := parseStat([]byte("12 (x) S 1")); err == nil {
		t.Error("parseStat accepted a short line")
	}
}

func TestParseStatus(t *testing.T) {
	raw := []byte("Name:\tstrata\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\nRssAnon:\t    4096 kB\nThreads:\t9\n")
	m, err := parseStatus(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS != 10<<20 || m.Peak != 20<<20 || m.Anon != 4<<20 {
		t.Errorf("parseStatus = %+v", m)
	}
	if _, err := parseStatus([]byte("Name:\tx\n")); err == nil {
		t.Error("parseStatus accepted a status without VmRSS")
	}
}

func TestSelf(t *testing.T) {
	if _, err := CPUTime(os.Getpid()); err != nil {
		t.Skip("no /proc here:", err)
	}
	m, err := ReadMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.Peak < m.RSS {
		t.Errorf("ReadMemory(self) = %+v", m)
	}
}
