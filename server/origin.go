package server

import (
	"net/http"
	"net/url"
	"strings"
)

// crossOrigin reports whether r is a browser request made by a page of
// another origin than the server's. Sec-Fetch-Site decides when the browser
// sends it (only "same-origin" and "none", a request the user typed, are
// the server's own); otherwise an Origin header whose host:port differs from
// the request's Host. A request with neither header (a non-browser client,
// an old browser's script or iframe load) is not cross-origin.
func crossOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site != "same-origin" && site != "none"
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" { // "null" (sandboxed or opaque origins) included
		return true
	}
	return !strings.EqualFold(u.Host, r.Host)
}

// RequestOrigin is the origin of the page that made r: its Origin header,
// else the scheme and host of its Referer (a JSONP script load or an
// htmlfile iframe carries no Origin), else "".
func RequestOrigin(r *http.Request) string {
	if o := r.Header.Get("Origin"); o != "" {
		return o
	}
	u, err := url.Parse(r.Header.Get("Referer"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// originAllowed reports whether r may be served: it is not a cross-origin
// browser request, or CheckOrigin (when set) or else CORS allows it.
func (e *Engine) originAllowed(r *http.Request) bool {
	if !crossOrigin(r) {
		return true
	}
	if e.opts.CheckOrigin != nil {
		return e.opts.CheckOrigin(r)
	}
	return e.opts.CORS != nil && e.opts.CORS.allows(RequestOrigin(r))
}

// refuseOrigin answers a request from a page whose origin is not allowed,
// in its generation's form: HTTP 403 with Engine.IO's JSON error (code 4)
// or protocol 1's plain text ("handshake bad origin", as a JSONP call when
// the handshake asked for one).
func (e *Engine) refuseOrigin(w http.ResponseWriter, r *http.Request) {
	e.log.Debug("sockio: request from another origin refused", "origin", RequestOrigin(r),
		"site", r.Header.Get("Sec-Fetch-Site"), "path", r.URL.Path)
	if isV1Path(r.URL.Path) && !r.URL.Query().Has("EIO") {
		if hasV1SID(r.URL.Path) {
			http.Error(w, "origin not allowed", http.StatusForbidden)
			return
		}
		v1Fail(w, jsonpParam(r), http.StatusForbidden, "handshake bad origin")
		return
	}
	writeError(w, codeForbidden, "Origin not allowed")
}
