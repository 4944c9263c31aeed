package controllers

import (
	"fmt"
	"strconv"
	"strings"

	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/engine/metastore/cmformat"
)

// MetadataConfigMapPartName is the name of part i (i >= 1) of the metadata
// of the engine of the given name, when it does not fit in one ConfigMap.
func MetadataConfigMapPartName(engineName string, i int) string {
	return cmformat.PartName(MetadataConfigMapName(engineName), i)
}

// MetadataConfigMapNames lists every ConfigMap name the metadata of the
// named engine may use: the main one, then the parts.
func MetadataConfigMapNames(engineName string) []string {
	names := []string{MetadataConfigMapName(engineName)}
	for i := 1; i < cmformat.MaxParts; i++ {
		names = append(names, MetadataConfigMapPartName(engineName, i))
	}
	return names
}

// MetadataConfigMaps are the ConfigMaps publishing one metadata document.
type MetadataConfigMaps struct {
	// Parts are NAME-1, NAME-2, ...: applied first.
	Parts []*corev1ac.ConfigMapApplyConfiguration
	// Main is NAME, which lists the parts: applied last.
	Main *corev1ac.ConfigMapApplyConfiguration
	// Hash is the document's sha256 (AnnotationSHA256).
	Hash string
}

// All returns the ConfigMaps in the order they must be applied.
func (m *MetadataConfigMaps) All() []*corev1ac.ConfigMapApplyConfiguration {
	return append(append([]*corev1ac.ConfigMapApplyConfiguration(nil), m.Parts...), m.Main)
}

// BuildMetadataConfigMaps builds the ConfigMaps holding doc (whose sha256
// is hash) for engine e, in the format of package cmformat: gzipped and cut
// into chunks of at most partBytes (cmformat.DefaultPartBytes when
// <= 0). It fails when the document needs more than
// cmformat.MaxParts ConfigMaps.
func BuildMetadataConfigMaps(e *v1alpha1.GraphQLEngine, doc []byte, hash string, partBytes int) (*MetadataConfigMaps, error) {
	chunks, err := cmformat.EncodeChunks(doc, partBytes)
	if err != nil {
		return nil, fmt.Errorf("GraphQLEngine %s: %w", e.Name, err)
	}
	out := &MetadataConfigMaps{Hash: hash}
	names := make([]string, 0, len(chunks)-1)
	for i := 1; i < len(chunks); i++ {
		name := MetadataConfigMapPartName(e.Name, i)
		names = append(names, name)
		out.Parts = append(out.Parts, corev1ac.ConfigMap(name, e.Namespace).
			WithLabels(EngineLabels(e.Name)).
			WithAnnotations(map[string]string{
				cmformat.AnnotationSHA256: hash,
				cmformat.AnnotationPart:   strconv.Itoa(i),
			}).
			WithOwnerReferences(ownerReference(e)).
			WithBinaryData(map[string][]byte{cmformat.DataKey: chunks[i]}))
	}
	out.Main = corev1ac.ConfigMap(MetadataConfigMapName(e.Name), e.Namespace).
		WithLabels(EngineLabels(e.Name)).
		WithAnnotations(map[string]string{
			cmformat.AnnotationSHA256: hash,
			cmformat.AnnotationParts:  strings.Join(names, ","),
		}).
		WithOwnerReferences(ownerReference(e)).
		WithBinaryData(map[string][]byte{cmformat.DataKey: chunks[0]})
	return out, nil
}
