package auth

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// jsonPath is the JSON path subset Hasura accepts in claims_namespace_path
// and claims_map: $ followed by .key, ['key'], ["key"] or [index] steps.
type jsonPath []pathStep

type pathStep struct {
	key     string
	index   int
	isIndex bool
}

const maxPathSteps = 64

// parseJSONPath parses a path such as $.hasura['claims'].roles[0].
func parseJSONPath(s string) (jsonPath, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("JSON path %q must start with $", s)
	}
	var p jsonPath
	rest := s[1:]
	for rest != "" {
		if len(p) == maxPathSteps {
			return nil, fmt.Errorf("JSON path %q has more than %d steps", s, maxPathSteps)
		}
		var step pathStep
		var err error
		switch rest[0] {
		case '.':
			step, rest, err = parseDotStep(rest[1:])
		case '[':
			step, rest, err = parseBracketStep(rest[1:])
		default:
			err = fmt.Errorf("unexpected %q", rest[0])
		}
		if err != nil {
			return nil, fmt.Errorf("JSON path %q: %w", s, err)
		}
		p = append(p, step)
	}
	return p, nil
}

func parseDotStep(s string) (pathStep, string, error) {
	end := strings.IndexAny(s, ".[")
	if end < 0 {
		end = len(s)
	}
	if end == 0 {
		return pathStep{}, "", errors.New("empty key after '.'")
	}
	return pathStep{key: s[:end]}, s[end:], nil
}

func parseBracketStep(s string) (pathStep, string, error) {
	if s == "" {
		return pathStep{}, "", errors.New("unterminated '['")
	}
	if q := s[0]; q == '\'' || q == '"' {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			switch c := s[i]; {
			case c == '\\' && i+1 < len(s):
				i++
				b.WriteByte(s[i])
			case c == q:
				if i+1 >= len(s) || s[i+1] != ']' {
					return pathStep{}, "", errors.New("expected ']' after quoted key")
				}
				return pathStep{key: b.String()}, s[i+2:], nil
			default:
				b.WriteByte(c)
			}
		}
		return pathStep{}, "", errors.New("unterminated quoted key")
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return pathStep{}, "", errors.New("unterminated '['")
	}
	n, err := strconv.Atoi(s[:end])
	if err != nil || n < 0 {
		return pathStep{}, "", fmt.Errorf("invalid index %q", s[:end])
	}
	return pathStep{index: n, isIndex: true}, s[end+1:], nil
}

// get follows the path in a decoded JSON value.
func (p jsonPath) get(v any) (any, bool) {
	for _, st := range p {
		if st.isIndex {
			list, ok := v.([]any)
			if !ok || st.index >= len(list) {
				return nil, false
			}
			v = list[st.index]
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[st.key]; !ok {
			return nil, false
		}
	}
	return v, true
}
