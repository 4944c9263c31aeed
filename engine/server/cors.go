package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// CORSPolicy is the engine's cross-origin policy, Hasura's
// HASURA_GRAPHQL_CORS_DOMAIN: every origin ("*"), or a list of origins,
// each exact (scheme://host[:port]) or a wildcard over the subdomains of a
// domain (https://*.example.com, which does not include
// https://example.com itself). The nil policy sends no CORS headers
// (HASURA_GRAPHQL_DISABLE_CORS).
type CORSPolicy struct {
	any       bool
	exact     map[string]bool
	wildcards []wildcardOrigin
}

// wildcardOrigin is scheme://*.suffix[:port].
type wildcardOrigin struct {
	scheme, suffix, port string
}

// Answers to an allowed preflight request.
const (
	corsMethods = "GET,POST,PUT,PATCH,DELETE,OPTIONS"
	corsMaxAge  = "1728000" // 20 days
)

// ParseCORS parses HASURA_GRAPHQL_CORS_DOMAIN: "*" or a comma-separated
// list of origins with scheme and optional port, where the host may start
// with "*." to allow every subdomain.
func ParseCORS(domains string) (*CORSPolicy, error) {
	p := &CORSPolicy{exact: map[string]bool{}}
	if strings.TrimSpace(domains) == "*" {
		p.any = true
		return p, nil
	}
	for _, d := range strings.Split(domains, ",") {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		u, err := url.Parse(d)
		if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("%q is not an origin (scheme://host[:port], e.g. https://*.example.com)", d)
		}
		host, port := u.Hostname(), u.Port()
		scheme := strings.ToLower(u.Scheme)
		if rest, ok := strings.CutPrefix(host, "*."); ok {
			if rest == "" || strings.Contains(rest, "*") {
				return nil, fmt.Errorf("%q: a wildcard must be followed by a domain", d)
			}
			p.wildcards = append(p.wildcards, wildcardOrigin{scheme, "." + strings.ToLower(rest), port})
			continue
		}
		if strings.Contains(host, "*") {
			return nil, fmt.Errorf("%q: a wildcard may only stand for the leading labels (*.example.com)", d)
		}
		p.exact[originKey(scheme, host, port)] = true
	}
	if len(p.exact) == 0 && len(p.wildcards) == 0 {
		return nil, fmt.Errorf("no origin in %q", domains)
	}
	return p, nil
}

func originKey(scheme, host, port string) string {
	k := scheme + "://" + strings.ToLower(host)
	if port != "" {
		k += ":" + port
	}
	return k
}

// Allows reports whether a browser page at origin (the Origin header) may
// read the engine's answers.
func (p *CORSPolicy) Allows(origin string) bool {
	if p == nil || origin == "" {
		return false
	}
	if p.any {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return false
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if p.exact[originKey(scheme, host, port)] {
		return true
	}
	for _, w := range p.wildcards {
		if w.scheme == scheme && w.port == port && len(host) > len(w.suffix) && strings.HasSuffix(host, w.suffix) {
			return true
		}
	}
	return false
}

// CORS wraps h with policy p: an allowed origin gets its own origin back
// with credentials allowed, and preflight requests (OPTIONS with
// Access-Control-Request-Method) are answered here with 204. A nil policy
// returns h unchanged.
func CORS(h http.Handler, p *CORSPolicy) http.Handler {
	if p == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		hdr := w.Header()
		hdr.Add("Vary", "Origin")
		allowed := p.Allows(origin)
		if allowed {
			hdr.Set("Access-Control-Allow-Origin", origin)
			hdr.Set("Access-Control-Allow-Credentials", "true")
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if allowed {
				hdr.Set("Access-Control-Allow-Methods", corsMethods)
				if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
					hdr.Set("Access-Control-Allow-Headers", req)
				}
				hdr.Set("Access-Control-Max-Age", corsMaxAge)
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}
