package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestLoopbackOnly(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080/v1/graphql", "http://localhost:1/x", "http://[::1]:80/"} {
		if err := loopbackOnly(u); err != nil {
			t.Errorf("loopbackOnly(%q) = %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1/", "http://example.com/", "http://192.168.1.1:80/", "::"} {
		if err := loopbackOnly(u); err == nil {
			t.Errorf("loopbackOnly(%q) accepted", u)
		}
	}
}

func TestRunRejectsBadSpec(t *testing.T) {
	var out bytes.Buffer
	if err := run(strings.NewReader(`{"url":"http://10.1.2.3/","clients":1,"duration":1000}`), &out); err == nil {
		t.Error("run accepted a non-loopback target")
	}
	if err := run(strings.NewReader(`not json`), &out); err == nil {
		t.Error("run accepted a spec that is not JSON")
	}
}
