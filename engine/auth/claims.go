package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/stratagql/strata/engine/config"
	"github.com/stratagql/strata/engine/hasuraerr"
)

// claimsSpec says where a token's Hasura claims are: under a top-level
// key (claims_namespace), at a JSON path (claims_namespace_path), or mapped
// one session variable at a time (claims_map).
type claimsSpec struct {
	namespace   string
	nsPath      jsonPath
	nsPathText  string
	stringified bool
	claimsMap   map[string]claimSource
	mapOrder    []string // claimsMap names, sorted: errors are deterministic
}

// claimSource is one claims_map entry: a JSON path with an optional default,
// or a literal value.
type claimSource struct {
	path     jsonPath
	pathText string
	def      any
	hasDef   bool
	literal  any
}

func newClaimsSpec(s config.JWTSecret) (claimsSpec, error) {
	spec := claimsSpec{stringified: s.ClaimsFormat == "stringified_json"}
	if s.ClaimsMap != nil {
		m, err := parseClaimsMap(s.ClaimsMap)
		if err != nil {
			return spec, fmt.Errorf(`"claims_map": %w`, err)
		}
		spec.claimsMap = m
		for name := range m {
			spec.mapOrder = append(spec.mapOrder, name)
		}
		slices.Sort(spec.mapOrder)
		return spec, nil
	}
	if s.ClaimsNamespacePath != "" {
		p, err := parseJSONPath(s.ClaimsNamespacePath)
		if err != nil {
			return spec, fmt.Errorf(`"claims_namespace_path": %w`, err)
		}
		spec.nsPath, spec.nsPathText = p, s.ClaimsNamespacePath
		return spec, nil
	}
	spec.namespace = s.ClaimsNamespace
	if spec.namespace == "" {
		spec.namespace = "https://hasura.io/jwt/claims"
	}
	return spec, nil
}

func parseClaimsMap(raw map[string]json.RawMessage) (map[string]claimSource, error) {
	out := make(map[string]claimSource, len(raw))
	for name, r := range raw {
		key := strings.ToLower(name)
		if !strings.HasPrefix(key, varPrefix) {
			return nil, fmt.Errorf("%q is not a session variable (x-hasura-*)", name)
		}
		v, err := decodeJSON(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		var src claimSource
		switch x := v.(type) {
		case map[string]any:
			p, ok := x["path"].(string)
			if !ok {
				return nil, fmt.Errorf(`%s: an object needs a "path" string`, name)
			}
			for k := range x {
				if k != "path" && k != "default" {
					return nil, fmt.Errorf("%s: unknown field %q", name, k)
				}
			}
			if src.path, err = parseJSONPath(p); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			src.pathText = p
			src.def, src.hasDef = x["default"]
		case string, []any:
			src.literal = x
		default:
			return nil, fmt.Errorf("%s: must be a string, a list of strings or {\"path\": ...}", name)
		}
		out[key] = src
	}
	for _, req := range []string{varAllowedRoles, varDefaultRole} {
		if _, ok := out[req]; !ok {
			return nil, fmt.Errorf("%s is required", req)
		}
	}
	return out, nil
}

func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

// extract returns the Hasura claims object of a verified token, with
// lower-case keys.
func (c claimsSpec) extract(payload map[string]any) (map[string]any, *hasuraerr.Error) {
	if c.claimsMap != nil {
		out := make(map[string]any, len(c.claimsMap))
		for _, name := range c.mapOrder {
			src := c.claimsMap[name]
			if src.path == nil {
				out[name] = src.literal
				continue
			}
			v, ok := src.path.get(payload)
			if !ok {
				if !src.hasDef {
					return nil, invalidClaims("JWT claim from claims_map, " + name + " not found")
				}
				v = src.def
			}
			out[name] = v
		}
		return out, nil
	}
	var v any
	var ok bool
	if c.nsPath != nil {
		if v, ok = c.nsPath.get(payload); !ok {
			return nil, invalidClaims("claims not found at claims_namespace_path: '" + c.nsPathText + "'")
		}
	} else if v, ok = payload[c.namespace]; !ok {
		return nil, invalidClaims("claims key: '" + c.namespace + "' not found")
	}
	if c.stringified {
		s, isStr := v.(string)
		if !isStr {
			return nil, invalidClaims("invalid claims: claims_format is stringified_json but the claims are not a string")
		}
		decoded, err := decodeJSON([]byte(s))
		if err != nil {
			return nil, invalidClaims("invalid claims: the stringified claims are not valid JSON")
		}
		v = decoded
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		return nil, invalidClaims("invalid claims: the Hasura claims must be a JSON object")
	}
	out := make(map[string]any, len(obj))
	for k, val := range obj {
		out[strings.ToLower(k)] = val
	}
	return out, nil
}

// sessionFromClaims applies Hasura's JWT rules: x-hasura-allowed-roles and
// x-hasura-default-role are required; the x-hasura-role header picks a role
// among the allowed ones (the default role otherwise); the other
// x-hasura-* claims become session variables.
func sessionFromClaims(claims map[string]any, h http.Header) (*Session, *hasuraerr.Error) {
	rawAllowed, ok := claims[varAllowedRoles]
	if !ok {
		return nil, invalidClaims("JWT claim does not contain " + varAllowedRoles)
	}
	allowed, ok := stringList(rawAllowed)
	if !ok {
		return nil, invalidClaims("invalid " + varAllowedRoles + "; should be a list of roles")
	}
	rawDefault, ok := claims[varDefaultRole]
	if !ok {
		return nil, invalidClaims("JWT claim does not contain " + varDefaultRole)
	}
	def, ok := rawDefault.(string)
	if !ok || def == "" {
		return nil, invalidClaims("invalid " + varDefaultRole + "; should be a role")
	}
	role := def
	if req, sent := headerValue(h, headerRole); sent && req != "" {
		if !slices.Contains(allowed, req) {
			return nil, errRoleNotAllowed()
		}
		role = req
	}
	vars := map[string]string{}
	for k, v := range claims {
		if !strings.HasPrefix(k, varPrefix) || k == varAllowedRoles || k == varDefaultRole {
			continue
		}
		if s, ok := sessionValue(v); ok {
			vars[k] = s
		}
	}
	return newSession(role, vars, allowed), nil
}
