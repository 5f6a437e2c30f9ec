package transports

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"io"
	"strconv"
	"strings"
	"sync"
)

// acceptedEncoding returns the content coding a polling answer may use
// given the request's Accept-Encoding values: "gzip", else "deflate", else
// "" (none, or both refused with q=0).
func acceptedEncoding(values []string) string {
	q := map[string]float64{}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			weight := 1.0
			for _, p := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
						weight = f
					}
				}
			}
			q[name] = weight
		}
	}
	for _, enc := range []string{"gzip", "deflate"} {
		w, ok := q[enc]
		if !ok {
			w, ok = q["*"]
		}
		if ok && w > 0 {
			return enc
		}
	}
	return ""
}

var (
	gzipPool sync.Pool // *gzip.Writer
	zlibPool sync.Pool // *zlib.Writer
)

// compressBody appends body encoded with enc ("gzip" or "deflate", the
// zlib format HTTP means by it) to dst.
func compressBody(dst []byte, enc string, body []byte) []byte {
	buf := bytes.NewBuffer(dst)
	var zw interface {
		io.WriteCloser
		Reset(io.Writer)
	}
	pool := &gzipPool
	if enc == "deflate" {
		pool = &zlibPool
	}
	if w, ok := pool.Get().(interface {
		io.WriteCloser
		Reset(io.Writer)
	}); ok {
		zw = w
		zw.Reset(buf)
	} else if enc == "deflate" {
		zw = zlib.NewWriter(buf)
	} else {
		zw = gzip.NewWriter(buf)
	}
	_, _ = zw.Write(body) // writes to a bytes.Buffer do not fail
	_ = zw.Close()
	pool.Put(zw)
	return buf.Bytes()
}
