package auth

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxCacheSeconds caps lifetimes read from response headers.
const maxCacheSeconds = 7 * 24 * 3600

// cacheLifetime reads how long a response may be reused from its
// Cache-Control (max-age, no-cache, no-store) or, failing that, Expires
// header (relative to its Date header when present). ok is false when
// neither header says anything.
func cacheLifetime(h http.Header, now time.Time) (d time.Duration, ok bool) {
	if cc := h.Get("Cache-Control"); cc != "" {
		maxAge := int64(-1)
		for _, dir := range strings.Split(cc, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(dir), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store", "no-cache":
				return 0, true
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
				if err == nil && n >= 0 {
					maxAge = min(n, maxCacheSeconds)
				}
			}
		}
		if maxAge >= 0 {
			return time.Duration(maxAge) * time.Second, true
		}
	}
	if e := h.Get("Expires"); e != "" {
		exp, err := http.ParseTime(e)
		if err != nil {
			return 0, true // an invalid Expires means already expired
		}
		base := now
		if ds := h.Get("Date"); ds != "" {
			if t, err := http.ParseTime(ds); err == nil {
				base = t
			}
		}
		if !exp.After(base) {
			return 0, true
		}
		return min(exp.Sub(base), maxCacheSeconds*time.Second), true
	}
	return 0, false
}
