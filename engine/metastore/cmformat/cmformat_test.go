package cmformat_test

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stratagql/strata/engine/metastore/cmformat"
)

// document returns n lines of varied JSON-ish text: it compresses, but not
// to nothing, so that a small part size splits it.
func document(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "{\"comment %d\": \"%x\"}\n", i, i*7919)
	}
	return b.Bytes()
}

func TestChunksRoundTrip(t *testing.T) {
	doc := document(600)
	chunks, err := cmformat.EncodeChunks(doc, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 2 {
		t.Fatalf("%d chunks", len(chunks))
	}
	for i, c := range chunks {
		if len(c) > 1024 {
			t.Fatalf("chunk %d is %d bytes", i, len(c))
		}
	}
	again, _ := cmformat.EncodeChunks(doc, 1024)
	if !reflect.DeepEqual(chunks, again) {
		t.Fatal("encoding is not deterministic")
	}
	got, err := cmformat.DecodeChunks(chunks, cmformat.DocumentHash(doc))
	if err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := cmformat.DecodeChunks(chunks, strings.ToUpper(cmformat.DocumentHash(doc))); err != nil {
		t.Fatalf("an upper-case hash: %v", err)
	}
	if _, err := cmformat.DecodeChunks(chunks, cmformat.DocumentHash([]byte("other"))); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("wrong hash: %v", err)
	}
	if _, err := cmformat.DecodeChunks(chunks[:1], cmformat.DocumentHash(doc)); err == nil {
		t.Fatal("a missing part was not noticed")
	}
	if _, err := cmformat.DecodeChunks([][]byte{[]byte("not gzip")}, cmformat.DocumentHash(doc)); err == nil {
		t.Fatal("garbage was accepted")
	}
	if _, err := cmformat.DecodeChunks(nil, cmformat.DocumentHash(doc)); err == nil {
		t.Fatal("no chunk was accepted")
	}
}

func TestEncodeChunksRefusesTooManyParts(t *testing.T) {
	if _, err := cmformat.EncodeChunks(document(4000), 64); err == nil || !strings.Contains(err.Error(), "more than the 16 allowed") {
		t.Fatalf("want a refusal, got %v", err)
	}
}

func TestPartNames(t *testing.T) {
	if got := cmformat.PartName("demo-metadata", 3); got != "demo-metadata-3" {
		t.Errorf("PartName: %q", got)
	}
	if got := cmformat.PartNames(" "); got != nil {
		t.Errorf("empty annotation: %q", got)
	}
	if got := cmformat.PartNames("a-1, a-2"); !reflect.DeepEqual(got, []string{"a-1", "a-2"}) {
		t.Errorf("two parts: %q", got)
	}
}
