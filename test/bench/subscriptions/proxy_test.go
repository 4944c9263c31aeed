package main

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
)

// msg is a frontend message: typ 0 is an untyped (startup) one.
func msg(typ byte, parts ...string) []byte {
	var body []byte
	for _, p := range parts {
		body = append(body, p...)
	}
	var out []byte
	if typ != 0 {
		out = append(out, typ)
	}
	return append(binary.BigEndian.AppendUint32(out, uint32(len(body)+4)), body...)
}

// TestForwardCounts feeds the proxy's parser an SSL request, a startup
// message and a session's statements: it forwards every byte unchanged
// and counts the Executes and Queries, telling cohort statements apart.
func TestForwardCounts(t *testing.T) {
	ssl := msg(0, "\x04\xd2\x16\x2f")
	startup := msg(0, "\x00\x03\x00\x00", "user\x00postgres\x00\x00")
	cohortSQL := "SELECT _subs.i, _mx.root FROM " + multiplexMark + " LEFT OUTER JOIN LATERAL (SELECT 1) _mx ON true"
	var in []byte
	for _, m := range [][]byte{
		ssl, startup,
		msg('P', "s1\x00", cohortSQL+"\x00", "\x00\x00"),
		msg('P', "s2\x00", "SELECT resource_version FROM hdb_catalog.hdb_metadata\x00", "\x00\x00"),
		msg('B', "\x00", "s1\x00", "\x00\x00\x00\x00\x00\x00"), msg('E', "\x00", "\x00\x00\x00\x00"), msg('S'),
		msg('B', "\x00", "s2\x00", "\x00\x00\x00\x00\x00\x00"), msg('E', "\x00", "\x00\x00\x00\x00"), msg('S'),
		msg('B', "\x00", "s1\x00", "\x00\x00\x00\x00\x00\x00"), msg('E', "\x00", "\x00\x00\x00\x00"), msg('S'),
		msg('Q', "LISTEN strata_table_changed\x00"),
		msg('X'),
	} {
		in = append(in, m...)
	}
	p := &stmtProxy{}
	var out bytes.Buffer
	if err := p.forward(&out, bytes.NewReader(in)); err != io.EOF {
		t.Fatalf("forward ended with %v, want EOF", err)
	}
	if !bytes.Equal(out.Bytes(), in) {
		t.Fatalf("forwarded %d bytes, not the %d received unchanged", out.Len(), len(in))
	}
	if total, cohort := p.counts(); total != 4 || cohort != 2 {
		t.Fatalf("counted %d statements, %d cohort ones; want 4 and 2", total, cohort)
	}
}
