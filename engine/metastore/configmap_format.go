package metastore

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

// This file is the format of the metadata ConfigMaps the operator publishes
// and the ConfigMap store reads; both sides use these functions, so they
// cannot disagree.
//
// The metadata document (metadata.Metadata.JSON(), deterministic) is
// gzipped and the compressed bytes are cut into chunks of at most
// DefaultConfigMapPartBytes. Chunk 0 goes in the main ConfigMap (NAME),
// chunk i in NAME-i. Every ConfigMap carries, in AnnotationSHA256, the
// sha256 of the whole uncompressed document; the main one lists the other
// parts, in order, in AnnotationParts. A reader reassembles only when every
// part carries the main one's hash, and checks that hash against the
// decompressed bytes: a half-written update is never mistaken for metadata.
// The writer writes the parts first and the main ConfigMap last, so the main
// ConfigMap changing is the signal that a complete new document is there.

const (
	// ConfigMapDataKey is the binaryData key holding a chunk of the gzipped
	// document, in the main ConfigMap and in every part.
	ConfigMapDataKey = "metadata.json.gz"
	// AnnotationSHA256 holds the hex sha256 of the whole uncompressed
	// document, on the main ConfigMap and on every part. It is the
	// metadata version the operator reports (status.metadataVersion).
	AnnotationSHA256 = "graphql.strata.dev/metadata-sha256"
	// AnnotationParts, on the main ConfigMap, lists the names of the other
	// parts in order, comma-separated; empty when the document fits in one.
	AnnotationParts = "graphql.strata.dev/metadata-parts"
	// AnnotationPart, on a part, is its index (1 for NAME-1, ...).
	AnnotationPart = "graphql.strata.dev/metadata-part"

	// DefaultConfigMapPartBytes is the largest chunk put in one ConfigMap:
	// ConfigMaps are limited to 1 MiB, and the rest is left for metadata.
	DefaultConfigMapPartBytes = 900 * 1024
	// MaxConfigMapParts is the most ConfigMaps (the main one included) one
	// document may span; the engine's Role grants read access to that many.
	MaxConfigMapParts = 16
	// maxDocumentBytes bounds decompression (against corrupt or hostile data).
	maxDocumentBytes = 512 << 20

	// plainJSONKey and plainYAMLKey are the data keys of a hand-written
	// ConfigMap holding the document as text, without annotations.
	plainJSONKey = "metadata.json"
	plainYAMLKey = "metadata.yaml"
)

// ConfigMapPartName is the name of part i (i >= 1) of the metadata held in
// the ConfigMap named main.
func ConfigMapPartName(main string, i int) string {
	return main + "-" + strconv.Itoa(i)
}

// DocumentHash is the hex sha256 of a metadata document: the value of
// AnnotationSHA256.
func DocumentHash(doc []byte) string {
	sum := sha256.Sum256(doc)
	return hex.EncodeToString(sum[:])
}

// EncodeConfigMapChunks gzips doc and cuts the result into chunks of at most
// partBytes (DefaultConfigMapPartBytes when <= 0). The output depends only
// on doc and partBytes. It fails when more than MaxConfigMapParts chunks
// would be needed.
func EncodeConfigMapChunks(doc []byte, partBytes int) ([][]byte, error) {
	if partBytes <= 0 {
		partBytes = DefaultConfigMapPartBytes
	}
	var buf bytes.Buffer
	// No name and no modification time in the header: the same document
	// always compresses to the same bytes.
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, fmt.Errorf("metastore: gzip metadata: %w", err)
	}
	if _, err := zw.Write(doc); err != nil {
		return nil, fmt.Errorf("metastore: gzip metadata: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("metastore: gzip metadata: %w", err)
	}
	z := buf.Bytes()
	n := (len(z) + partBytes - 1) / partBytes
	if n > MaxConfigMapParts {
		return nil, fmt.Errorf("metastore: metadata is %d bytes gzipped (%d bytes raw): it needs %d ConfigMaps of %d bytes, more than the %d allowed",
			len(z), len(doc), n, partBytes, MaxConfigMapParts)
	}
	chunks := make([][]byte, 0, n)
	for len(z) > 0 {
		k := min(partBytes, len(z))
		chunks = append(chunks, z[:k:k])
		z = z[k:]
	}
	return chunks, nil
}

// DecodeConfigMapChunks joins chunks, gunzips them and checks the result
// against sum (AnnotationSHA256).
func DecodeConfigMapChunks(chunks [][]byte, sum string) ([]byte, error) {
	if len(chunks) == 0 {
		return nil, errors.New("metastore: no metadata chunk")
	}
	zr, err := gzip.NewReader(io.MultiReader(readers(chunks)...))
	if err != nil {
		return nil, fmt.Errorf("metastore: metadata is not gzip data: %w", err)
	}
	doc, err := io.ReadAll(io.LimitReader(zr, maxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("metastore: gunzip metadata: %w", err)
	}
	if len(doc) > maxDocumentBytes {
		return nil, fmt.Errorf("metastore: metadata exceeds %d bytes uncompressed", maxDocumentBytes)
	}
	if got := DocumentHash(doc); got != strings.ToLower(sum) {
		return nil, fmt.Errorf("metastore: metadata sha256 is %s, the ConfigMap announces %s", got, sum)
	}
	return doc, nil
}

func readers(chunks [][]byte) []io.Reader {
	out := make([]io.Reader, len(chunks))
	for i, c := range chunks {
		out[i] = bytes.NewReader(c)
	}
	return out
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
