package server

import (
	"net/http"
	"time"

	"github.com/sockio/sockio/namespace"
)

func handshakeOf(r *http.Request, protocol int) namespace.Handshake {
	q := r.URL.Query()
	for _, k := range []string{"EIO", "transport", "t", "sid", "b64", "j"} {
		q.Del(k)
	}
	return namespace.Handshake{
		Headers:  r.Header.Clone(),
		Query:    q,
		Address:  r.RemoteAddr,
		URL:      r.URL.String(),
		Secure:   r.TLS != nil,
		Time:     time.Now(),
		Protocol: protocol,
	}
}
