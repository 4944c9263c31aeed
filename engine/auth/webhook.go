package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/stratagql/strata/engine/hasuraerr"
)

// maxHookResponseBytes bounds a webhook response body.
const maxHookResponseBytes = 1 << 20

// maxHookCacheLifetime caps how long a webhook answer is reused.
const maxHookCacheLifetime = 24 * time.Hour

// ignoredHookHeaders are the client headers never forwarded to the
// webhook: those Hasura documents as not forwarded, plus hop-by-hop ones.
var ignoredHookHeaders = map[string]bool{
	"content-length": true, "content-md5": true, "user-agent": true, "host": true,
	"origin": true, "referer": true, "accept": true, "accept-encoding": true,
	"accept-language": true, "accept-datetime": true, "cache-control": true,
	"connection": true, "dnt": true,
	"keep-alive": true, "proxy-authenticate": true, "proxy-authorization": true,
	"proxy-connection": true, "te": true, "trailer": true, "transfer-encoding": true,
	"upgrade": true,
}

// webhook is the HASURA_GRAPHQL_AUTH_HOOK client.
type webhook struct {
	url      string
	logURL   string
	post     bool
	sendBody bool
	timeout  time.Duration
	client   *http.Client
	cache    *sessionCache
	log      *slog.Logger
	now      func() time.Time
}

func newWebhook(cfg Config, client *http.Client, log *slog.Logger) (*webhook, error) {
	u, err := url.Parse(cfg.AuthHook)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("the auth hook must be an http or https URL")
	}
	w := &webhook{
		url:      cfg.AuthHook,
		logURL:   logSafeURL(u),
		sendBody: cfg.AuthHookSendRequestBody,
		timeout:  cfg.HookTimeout,
		client:   client,
		cache:    newSessionCache(cfg.HookCacheSize),
		log:      log,
		now:      time.Now,
	}
	switch strings.ToUpper(cfg.AuthHookMode) {
	case "", http.MethodGet:
	case http.MethodPost:
		w.post = true
	default:
		return nil, fmt.Errorf("the auth hook mode must be GET or POST, not %q", cfg.AuthHookMode)
	}
	return w, nil
}

// forwardedHeaders are the client headers the webhook receives.
func forwardedHeaders(h http.Header) http.Header {
	out := http.Header{}
	for k, vs := range h {
		if ignoredHookHeaders[strings.ToLower(k)] {
			continue
		}
		ck := http.CanonicalHeaderKey(k)
		out[ck] = append(out[ck], vs...)
	}
	return out
}

// authenticate asks the webhook (or its cached answer) for the session.
func (w *webhook) authenticate(ctx context.Context, h http.Header, body []byte) (*Session, *hasuraerr.Error) {
	fwd := forwardedHeaders(h)
	var request json.RawMessage
	if w.post && w.sendBody && len(bytes.TrimSpace(body)) > 0 && json.Valid(body) {
		request = json.RawMessage(body)
	}
	key := w.cacheKey(fwd, request)
	if s, ok := w.cache.get(key, w.now()); ok {
		return s, nil
	}
	req, err := w.newRequest(ctx, fwd, request)
	if err != nil {
		w.log.Error("could not build the auth hook request", "auth_hook", w.logURL, "error", err)
		return nil, errHookFailed()
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	resp, err := w.client.Do(req.WithContext(ctx))
	if err != nil {
		w.log.Warn("auth hook request failed", "auth_hook", w.logURL, "error", unwrapURLError(err))
		return nil, errHookFailed()
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return nil, errHookUnauthorized()
	default:
		w.log.Warn("auth hook answered an unexpected status", "auth_hook", w.logURL, "status", resp.StatusCode)
		return nil, errHookInvalidResponse()
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxHookResponseBytes+1))
	if err != nil {
		w.log.Warn("could not read the auth hook response", "auth_hook", w.logURL, "error", err)
		return nil, errHookFailed()
	}
	s, herr := hookSession(raw)
	if herr != nil {
		w.log.Warn("invalid auth hook response", "auth_hook", w.logURL, "error", herr.Message)
		return nil, herr
	}
	if life, ok := cacheLifetime(resp.Header, w.now()); ok && life > 0 {
		w.cache.put(key, s, w.now().Add(min(life, maxHookCacheLifetime)))
	}
	return s, nil
}

func (w *webhook) newRequest(ctx context.Context, fwd http.Header, request json.RawMessage) (*http.Request, error) {
	if !w.post {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.url, nil)
		if err != nil {
			return nil, err
		}
		for k, vs := range fwd {
			if !validHeaderName(k) {
				continue
			}
			for _, v := range vs {
				if validHeaderValue(v) { // net/http refuses to send the others
					req.Header.Add(k, v)
				}
			}
		}
		return req, nil
	}
	flat := make(map[string]string, len(fwd))
	for k, vs := range fwd {
		flat[k] = strings.Join(vs, ", ")
	}
	payload := struct {
		Headers map[string]string `json:"headers"`
		Request json.RawMessage   `json:"request,omitempty"`
	}{flat, request}
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode the auth hook body: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// cacheKey identifies a webhook call by everything the webhook sees.
func (w *webhook) cacheKey(fwd http.Header, request json.RawMessage) [32]byte {
	names := make([]string, 0, len(fwd))
	for k := range fwd {
		names = append(names, k)
	}
	sort.Strings(names)
	hash := sha256.New()
	for _, k := range names {
		for _, v := range fwd[k] {
			fmt.Fprintf(hash, "%d:%s%d:%s", len(k), k, len(v), v)
		}
	}
	fmt.Fprintf(hash, "|%d:", len(request))
	hash.Write(request)
	var sum [32]byte
	copy(sum[:], hash.Sum(nil))
	return sum
}

// hookSession reads a 200 answer: a JSON object whose x-hasura-* keys are
// the session variables (case-insensitive names; strings, numbers and
// booleans accepted), x-hasura-role being required.
func hookSession(raw []byte) (*Session, *hasuraerr.Error) {
	if len(raw) > maxHookResponseBytes {
		return nil, hookInvalid("the response is larger than 1 MiB")
	}
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, hookInvalid("not valid JSON")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, hookInvalid("expected an object")
	}
	vars := map[string]string{}
	for k, val := range obj {
		name := strings.ToLower(k)
		if !strings.HasPrefix(name, varPrefix) {
			continue
		}
		if s, ok := sessionValue(val); ok {
			vars[name] = s
		}
	}
	role := vars[varRole]
	if role == "" {
		return nil, authError(http.StatusInternalServerError, hasuraerr.CodeUnexpected, "missing x-hasura-role key in webhook response")
	}
	return newSession(role, vars, nil), nil
}

// validHeaderName reports whether name is an HTTP token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v has no control characters but tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
