package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"

	"sigs.k8s.io/yaml"
)

type plainMetadata Metadata

// UnmarshalJSON decodes a metadata document, keeping unknown top-level keys
// verbatim and upgrading version 1/2 documents (top-level `tables`) to a
// `default` source.
func (m *Metadata) UnmarshalJSON(b []byte) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return fmt.Errorf("metadata must be a JSON object")
	}
	var p plainMetadata
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if tables, ok := keys["tables"]; ok && p.Sources == nil {
		src := DefaultSourceDef()
		if err := json.Unmarshal(tables, &src.Tables); err != nil {
			return fmt.Errorf("tables: %w", err)
		}
		p.Sources = []Source{src}
		delete(keys, "tables")
		delete(keys, "functions") // v2 functions are not served; dropped on upgrade
		p.Version = Version
	}
	for k, v := range keys {
		if !knownKeys[k] && k != "tables" && k != "functions" {
			if p.Extra == nil {
				p.Extra = map[string]json.RawMessage{}
			}
			p.Extra[k] = v
		}
	}
	*m = Metadata(p)
	return nil
}

// MarshalJSON encodes known keys in Hasura's order, then extra keys sorted.
func (m Metadata) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(plainMetadata(m))
	if err != nil || len(m.Extra) == 0 {
		return b, err
	}
	extra, err := json.Marshal(m.Extra)
	if err != nil {
		return nil, err
	}
	// splice {"a":..} + {"x":..} -> {"a":..,"x":..}
	out := append(b[:len(b)-1:len(b)-1], ',')
	return append(out, extra[1:]...), nil
}

// Parse decodes metadata from JSON or YAML, normalised.
func Parse(data []byte) (*Metadata, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		j, err := yaml.YAMLToJSON(data)
		if err != nil {
			return nil, fmt.Errorf("parse metadata YAML: %w", err)
		}
		data = j
	}
	var m Metadata
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("parse metadata: %w", err)
	}
	if m.Version != Version {
		return nil, fmt.Errorf("unsupported metadata version %d (expected %d)", m.Version, Version)
	}
	m.Normalize()
	return &m, nil
}

// JSON returns the deterministic JSON encoding of m (normalised first).
func (m *Metadata) JSON() []byte {
	c := m.Clone()
	c.Normalize()
	// MarshalJSON's output is compact already: json.Marshal(c) would copy
	// it once more (at 5,000 tables ~4 MB of garbage a call).
	b, err := c.MarshalJSON()
	if err != nil {
		panic(fmt.Sprintf("metadata: marshal failed: %v", err))
	}
	return b
}

// YAML returns the deterministic YAML encoding of m.
func (m *Metadata) YAML() []byte {
	y, err := yaml.JSONToYAML(m.JSON())
	if err != nil {
		panic(fmt.Sprintf("metadata: YAML encoding failed: %v", err))
	}
	return y
}
