// Package cmformat is the wire format of the metadata ConfigMaps: the
// operator's metadata controller writes it and the engine's ConfigMap store
// reads it, both through this package, so they cannot disagree. It knows
// names, keys, compression and the hash, and nothing of Kubernetes types.
//
// The metadata document (metadata.Metadata.JSON(), deterministic) is gzipped
// and the compressed bytes are cut into chunks of at most DefaultPartBytes.
// Chunk 0 goes in the main ConfigMap (NAME), chunk i in NAME-i (PartName).
// Every ConfigMap carries, in AnnotationSHA256, the sha256 of the whole
// uncompressed document; the main one lists the other parts, in order, in
// AnnotationParts. A reader reassembles only when every part carries the
// main one's hash, and checks that hash against the decompressed bytes: a
// half-written update is never mistaken for metadata. The writer writes the
// parts first and the main ConfigMap last, so the main ConfigMap changing is
// the signal that a complete new document is there.
//
// A hand-written ConfigMap may instead hold the document as text under
// PlainYAMLKey or PlainJSONKey, without annotations.
package cmformat

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

const (
	// DataKey is the binaryData key holding a chunk of the gzipped
	// document, in the main ConfigMap and in every part.
	DataKey = "metadata.json.gz"
	// AnnotationSHA256 holds the hex sha256 of the whole uncompressed
	// document, on the main ConfigMap and on every part. It is the
	// metadata version the operator reports (status.metadataVersion).
	AnnotationSHA256 = "graphql.strata.dev/metadata-sha256"
	// AnnotationParts, on the main ConfigMap, lists the names of the other
	// parts in order, comma-separated; empty when the document fits in one.
	AnnotationParts = "graphql.strata.dev/metadata-parts"
	// AnnotationPart, on a part, is its index (1 for NAME-1, ...).
	AnnotationPart = "graphql.strata.dev/metadata-part"

	// PlainJSONKey and PlainYAMLKey are the data keys of a hand-written
	// ConfigMap holding the document as text, without annotations.
	PlainJSONKey = "metadata.json"
	PlainYAMLKey = "metadata.yaml"

	// OwnerAPIVersion and OwnerKind identify, in a ConfigMap's controller
	// owner reference, the GraphQLEngine the metadata belongs to (the one
	// whose status the engine reports on).
	OwnerAPIVersion = "graphql.strata.dev/v1alpha1"
	OwnerKind       = "GraphQLEngine"

	// DefaultPartBytes is the largest chunk put in one ConfigMap:
	// ConfigMaps are limited to 1 MiB, and the rest is left for metadata.
	DefaultPartBytes = 900 * 1024
	// MaxParts is the most ConfigMaps (the main one included) one document
	// may span; the engine's Role grants read access to that many.
	MaxParts = 16
	// maxDocumentBytes bounds decompression (against corrupt or hostile data).
	maxDocumentBytes = 512 << 20
)

// PartName is the name of part i (i >= 1) of the metadata held in the
// ConfigMap named main.
func PartName(main string, i int) string {
	return main + "-" + strconv.Itoa(i)
}

// DocumentHash is the hex sha256 of a metadata document: the value of
// AnnotationSHA256.
func DocumentHash(doc []byte) string {
	sum := sha256.Sum256(doc)
	return hex.EncodeToString(sum[:])
}

// EncodeChunks gzips doc and cuts the result into chunks of at most
// partBytes (DefaultPartBytes when <= 0). The output depends only on doc and
// partBytes. It fails when more than MaxParts chunks would be needed.
func EncodeChunks(doc []byte, partBytes int) ([][]byte, error) {
	if partBytes <= 0 {
		partBytes = DefaultPartBytes
	}
	var buf bytes.Buffer
	// No name and no modification time in the header: the same document
	// always compresses to the same bytes.
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, fmt.Errorf("cmformat: gzip metadata: %w", err)
	}
	if _, err := zw.Write(doc); err != nil {
		return nil, fmt.Errorf("cmformat: gzip metadata: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("cmformat: gzip metadata: %w", err)
	}
	z := buf.Bytes()
	n := (len(z) + partBytes - 1) / partBytes
	if n > MaxParts {
		return nil, fmt.Errorf("cmformat: metadata is %d bytes gzipped (%d bytes raw): it needs %d ConfigMaps of %d bytes, more than the %d allowed",
			len(z), len(doc), n, partBytes, MaxParts)
	}
	chunks := make([][]byte, 0, n)
	for len(z) > 0 {
		k := min(partBytes, len(z))
		chunks = append(chunks, z[:k:k])
		z = z[k:]
	}
	return chunks, nil
}

// DecodeChunks joins chunks, gunzips them and checks the result against sum
// (AnnotationSHA256).
func DecodeChunks(chunks [][]byte, sum string) ([]byte, error) {
	if len(chunks) == 0 {
		return nil, errors.New("cmformat: no metadata chunk")
	}
	readers := make([]io.Reader, len(chunks))
	for i, c := range chunks {
		readers[i] = bytes.NewReader(c)
	}
	zr, err := gzip.NewReader(io.MultiReader(readers...))
	if err != nil {
		return nil, fmt.Errorf("cmformat: metadata is not gzip data: %w", err)
	}
	doc, err := io.ReadAll(io.LimitReader(zr, maxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cmformat: gunzip metadata: %w", err)
	}
	if len(doc) > maxDocumentBytes {
		return nil, fmt.Errorf("cmformat: metadata exceeds %d bytes uncompressed", maxDocumentBytes)
	}
	if got := DocumentHash(doc); got != strings.ToLower(sum) {
		return nil, fmt.Errorf("cmformat: metadata sha256 is %s, the ConfigMap announces %s", got, sum)
	}
	return doc, nil
}

// PartNames parses AnnotationParts.
func PartNames(annotation string) []string {
	if strings.TrimSpace(annotation) == "" {
		return nil
	}
	parts := strings.Split(annotation, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}
