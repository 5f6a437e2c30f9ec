// Package rawquery reads single parameters of a URL's raw query without
// building the url.Values map, for the request paths that read a few
// parameters of every request.
package rawquery

import (
	"net/url"
	"strings"
)

// Get returns the first value of key in the raw query raw and whether it
// is present, as url.ParseQuery (errors ignored, as URL.Query does) would
// report them. A query with escapes ('%', '+') or semicolons is parsed in
// full.
func Get(raw, key string) (string, bool) {
	var val [1]string
	var has [1]bool
	Params(raw, []string{key}, val[:], has[:])
	return val[0], has[0]
}

// Params reads several keys in one pass over raw: vals[i] and has[i] are
// the first value of keys[i] and whether it is present, as Get reports
// them. vals and has are at least as long as keys.
func Params(raw string, keys, vals []string, has []bool) {
	if strings.ContainsAny(raw, "%+;") {
		q, _ := url.ParseQuery(raw)
		for i, k := range keys {
			if v := q[k]; len(v) > 0 {
				vals[i], has[i] = v[0], true
			} else {
				vals[i], has[i] = "", false
			}
		}
		return
	}
	clear(vals[:len(keys)])
	clear(has[:len(keys)])
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		for i, key := range keys {
			if k == key && !has[i] {
				vals[i], has[i] = v, true
			}
		}
	}
}
