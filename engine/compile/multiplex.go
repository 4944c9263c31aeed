package compile

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// sessionSetting is how compiled SQL reads the request's session (computed
// fields taking the session argument); the executor sets it per request.
const sessionSetting = "current_setting('hasura.user', true)"

// Multiplex rewrites a compiled statement returning one row with one json
// column, root (a query root field's SQL or a Subscription's), into one
// statement that evaluates it for many subscribers at once. Its only
// parameter, $1, is a json array with one element per subscriber (see
// MultiplexRow); it returns one row (i, root) per subscriber, i being the
// subscriber's 1-based position in the array, in that order.
//
// Each bind parameter $k of sql becomes the subscriber's k-th value, taken
// as text from its row — compile binds every value as text and casts it in
// SQL (see bind), so the casts that follow still apply — and the session
// (hasura.user) becomes the subscriber's session variables. Quoted
// identifiers and string literals are copied as they are.
func Multiplex(sql string) string {
	var b strings.Builder
	b.Grow(len(sql) + 256)
	b.WriteString("SELECT _subs.i, _mx.root FROM json_array_elements($1::json) WITH ORDINALITY AS _subs(v, i) LEFT OUTER JOIN LATERAL (")
	for i := 0; i < len(sql); {
		ch := sql[i]
		switch {
		case strings.HasPrefix(sql[i:], sessionSetting):
			b.WriteString("(_subs.v->>'u')")
			i += len(sessionSetting)
		case ch == '\'' || ch == '"':
			end := strings.IndexByte(sql[i+1:], ch)
			if end < 0 {
				b.WriteString(sql[i:])
				i = len(sql)
				continue
			}
			b.WriteString(sql[i : i+end+2])
			i += end + 2
		case ch == '$' && i+1 < len(sql) && isDigit(sql[i+1]) && (i == 0 || !isIdentChar(sql[i-1])):
			j := i + 1
			for j < len(sql) && isDigit(sql[j]) {
				j++
			}
			n, _ := strconv.Atoi(sql[i+1 : j])
			b.WriteString("(_subs.v->'a'->>" + strconv.Itoa(n-1) + ")")
			i = j
		default:
			b.WriteByte(ch)
			i++
		}
	}
	b.WriteString(") AS _mx ON true ORDER BY _subs.i")
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentChar(c byte) bool {
	return c == '_' || c == '$' || isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// MultiplexRow encodes one subscriber's element of a multiplexed
// statement's array: its parameter values (as returned by Values: text,
// nil or a list of texts) and its session variables.
func MultiplexRow(values []any, session map[string]string) (json.RawMessage, error) {
	texts := make([]*string, len(values))
	for i, v := range values {
		switch x := v.(type) {
		case nil:
		case string:
			texts[i] = &x
		case []*string:
			items := make([]any, len(x))
			for j, it := range x {
				if it != nil {
					items[j] = *it
				}
			}
			s := pgArray(items)
			texts[i] = &s
		default:
			return nil, fmt.Errorf("parameter $%d: unexpected value %T", i+1, v)
		}
	}
	if session == nil {
		session = map[string]string{}
	}
	return json.Marshal(struct {
		A []*string         `json:"a"`
		U map[string]string `json:"u"`
	}{texts, session})
}
