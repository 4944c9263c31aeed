package auth

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"
)

// AdminRole is the role that bypasses permissions.
const AdminRole = "admin"

// Header names Hasura reads.
const (
	headerAdminSecret = "X-Hasura-Admin-Secret"
	headerAccessKey   = "X-Hasura-Access-Key" // legacy name of the admin secret header
	headerRole        = "X-Hasura-Role"
	headerBackendOnly = "X-Hasura-Use-Backend-Only-Permissions"

	varRole         = "x-hasura-role"
	varAllowedRoles = "x-hasura-allowed-roles"
	varDefaultRole  = "x-hasura-default-role"
	varPrefix       = "x-hasura-"
)

// Session is who a request acts as.
type Session struct {
	// Role is the role permissions are checked for.
	Role string
	// Vars are the session variables, lower-case x-hasura-* keys, always
	// including x-hasura-role.
	Vars map[string]string
	// Admin reports whether Role is the admin role (permissions bypassed).
	Admin bool
	// AllowedRoles are the roles the credentials may act as: the JWT's
	// x-hasura-allowed-roles, otherwise just Role.
	AllowedRoles []string
	// BackendOnly is set when the request was made with the admin secret
	// (or in development mode) and x-hasura-use-backend-only-permissions:
	// true, which enables backend_only insert/update/delete permissions.
	BackendOnly bool
	// Expires is when the credentials stop being accepted (a JWT's exp,
	// allowed skew included); zero when they do not expire. Long-lived
	// connections (GraphQL over WebSocket) end at that time.
	Expires time.Time
}

func newSession(role string, vars map[string]string, allowed []string) *Session {
	if vars == nil {
		vars = map[string]string{}
	}
	vars[varRole] = role
	if allowed == nil {
		allowed = []string{role}
	}
	return &Session{Role: role, Vars: vars, Admin: role == AdminRole, AllowedRoles: allowed}
}

// clone returns a deep copy, so cached sessions are never shared.
func (s *Session) clone() *Session {
	c := *s
	c.Vars = make(map[string]string, len(s.Vars))
	for k, v := range s.Vars {
		c.Vars[k] = v
	}
	c.AllowedRoles = append([]string(nil), s.AllowedRoles...)
	return &c
}

// headerVars collects the request's x-hasura-* headers as session
// variables (lower-case names, first value), leaving out the admin secret.
func headerVars(h http.Header) map[string]string {
	vars := map[string]string{}
	for k, vs := range h {
		name := strings.ToLower(k)
		if !strings.HasPrefix(name, varPrefix) || len(vs) == 0 {
			continue
		}
		if name == "x-hasura-admin-secret" || name == "x-hasura-access-key" {
			continue
		}
		if _, seen := vars[name]; !seen {
			vars[name] = vs[0]
		}
	}
	return vars
}

// headerValue returns the first value of a header whatever the case of the
// key in h (callers may build http.Header by hand), and whether it is set.
func headerValue(h http.Header, name string) (string, bool) {
	if vs := h.Values(name); len(vs) > 0 {
		return vs[0], true
	}
	for k, vs := range h {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0], true
		}
	}
	return "", false
}

// sessionValue renders a JSON value as a session variable string: strings
// as they are, lists as a Postgres array literal, other scalars and objects
// as JSON text. Null gives no value.
func sessionValue(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	case []any:
		return pgArray(x), true
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return "", false
		}
		return string(b), true
	}
}

// pgArray renders a list in Postgres array literal syntax ({a,b}), quoting
// elements that would otherwise be misread.
func pgArray(items []any) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		if it == nil {
			b.WriteString("NULL")
			continue
		}
		s, _ := sessionValue(it)
		if _, nested := it.([]any); nested {
			b.WriteString(s)
			continue
		}
		b.WriteString(pgArrayElem(s))
	}
	b.WriteByte('}')
	return b.String()
}

func pgArrayElem(s string) string {
	need := s == "" || strings.EqualFold(s, "null")
	for _, r := range s {
		switch r {
		case '{', '}', ',', '"', '\\', ' ', '\t', '\n', '\r', '\v', '\f':
			need = true
		}
	}
	if !need {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// stringList reads a JSON list of strings.
func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, it := range list {
		s, ok := it.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
