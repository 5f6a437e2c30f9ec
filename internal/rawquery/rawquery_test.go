package rawquery

import (
	"net/url"
	"testing"
)

// Get answers as URL.Query().Get and Has do.
func TestGetAsURLQuery(t *testing.T) {
	queries := []string{
		"", "EIO=4&transport=polling&t=Nj1x&sid=abc", "j=3&EIO=3", "EIO=4&j", "EIO=4&j=", "&&j=1&&",
		"j=1&j=2", "a%3Db=c&j=%31", "j=a+b", "x=1;j=2&j=3", "EIO=4&transport=websocket&b64=1", "=x&j=y",
	}
	for _, raw := range queries {
		q, _ := url.ParseQuery(raw)
		for _, key := range []string{"j", "EIO", "transport", "sid", "b64", "t", ""} {
			v, ok := Get(raw, key)
			if ok != q.Has(key) || v != q.Get(key) {
				t.Errorf("Get(%q, %q) = %q, %v; URL.Query: %q, %v", raw, key, v, ok, q.Get(key), q.Has(key))
			}
		}
	}
}

// Params answers as Get does, key by key.
func TestParamsAsGet(t *testing.T) {
	keys := []string{"j", "EIO", "transport", "sid", "b64", "t", ""}
	vals, has := make([]string, len(keys)), make([]bool, len(keys))
	for _, raw := range []string{
		"", "EIO=4&transport=polling&t=Nj1x&sid=abc", "j=3&EIO=3", "EIO=4&j", "EIO=4&j=", "&&j=1&&",
		"j=1&j=2", "a%3Db=c&j=%31", "j=a+b", "x=1;j=2&j=3", "EIO=4&transport=websocket&b64=1", "=x&j=y",
	} {
		Params(raw, keys, vals, has)
		for i, k := range keys {
			if v, ok := Get(raw, k); v != vals[i] || ok != has[i] {
				t.Errorf("Params(%q)[%q] = %q, %v; Get: %q, %v", raw, k, vals[i], has[i], v, ok)
			}
		}
	}
}
