// Package pollclient is a minimal Engine.IO long-polling client for load
// generation and benchmarks: one HTTP/1.1 keep-alive connection per
// direction, requests written by hand, a small response parser and reused
// buffers, so that the client costs little beside the server it measures.
// It is not a product client: it speaks only what a polling echo needs
// (GET and POST, Content-Length or chunked answers) and the real clients'
// tests are what show the server's correctness.
package pollclient

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// MaxBody bounds a response body.
const MaxBody = 1 << 20

// Conn is one HTTP/1.1 keep-alive connection to host. It is not safe for
// concurrent use: one request at a time.
type Conn struct {
	host    string
	timeout time.Duration
	c       net.Conn
	br      *bufio.Reader
	req     []byte
	body    []byte
}

// NewConn returns a connection to host (host:port), dialled on first use;
// timeout bounds each request (zero: 30 s).
func NewConn(host string, timeout time.Duration) *Conn {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &Conn{host: host, timeout: timeout}
}

// Close closes the connection; the next request dials again.
func (c *Conn) Close() error {
	if c.c == nil {
		return nil
	}
	err := c.c.Close()
	c.c, c.br = nil, nil
	return err
}

// Do sends one request for target (path and query) with body (POST when
// body is not nil, of type ctype) and returns the status and the response
// body, which is valid until the next call. A request that finds a reused
// connection closed by the server is sent once more on a new one.
func (c *Conn) Do(target, body []byte, ctype string) (int, []byte, error) {
	reused := c.c != nil
	status, b, err := c.do(target, body, ctype)
	if err != nil && reused && status == 0 && !isTimeout(err) {
		c.Close()
		status, b, err = c.do(target, body, ctype)
	}
	if err != nil {
		c.Close()
	}
	return status, b, err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (c *Conn) do(target, body []byte, ctype string) (int, []byte, error) {
	if c.c == nil {
		nc, err := net.DialTimeout("tcp", c.host, c.timeout)
		if err != nil {
			return 0, nil, err
		}
		c.c = nc
		if c.br == nil {
			c.br = bufio.NewReaderSize(nc, 4096)
		}
	}
	_ = c.c.SetDeadline(time.Now().Add(c.timeout))
	r := c.req[:0]
	if body != nil {
		r = append(r, "POST "...)
	} else {
		r = append(r, "GET "...)
	}
	r = append(r, target...)
	r = append(r, " HTTP/1.1\r\nHost: "...)
	r = append(r, c.host...)
	r = append(r, "\r\n"...)
	if body != nil {
		r = append(r, "Content-Type: "...)
		r = append(r, ctype...)
		r = append(r, "\r\nContent-Length: "...)
		r = strconv.AppendInt(r, int64(len(body)), 10)
		r = append(r, "\r\n"...)
	}
	r = append(r, "\r\n"...)
	r = append(r, body...)
	c.req = r
	if _, err := c.c.Write(r); err != nil {
		return 0, nil, err
	}
	return c.readResponse()
}

// readResponse reads one response: status line, headers, then a body
// framed by Content-Length, chunks, or the connection's end.
func (c *Conn) readResponse() (int, []byte, error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, nil, fmt.Errorf("pollclient: bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, fmt.Errorf("pollclient: bad status line %q", line)
	}
	closing := line[7] == '0' // HTTP/1.0: no keep-alive asked for
	length, chunked := -1, false
	for {
		line, err = c.br.ReadSlice('\n')
		if err != nil {
			return status, nil, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return status, nil, fmt.Errorf("pollclient: bad header %q", line)
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			n, err := strconv.Atoi(string(v))
			if err != nil || n < 0 || n > MaxBody {
				return status, nil, fmt.Errorf("pollclient: bad Content-Length %q", v)
			}
			length = n
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			closing = bytes.EqualFold(v, []byte("close"))
		}
	}
	body := c.body[:0]
	switch {
	case chunked:
		body, err = c.readChunks(body)
	case length >= 0:
		body = grow(body, length)
		_, err = io.ReadFull(c.br, body)
	default: // until the connection ends
		closing = true
		body, err = c.readToEOF(body)
	}
	c.body = body
	if err != nil {
		return status, nil, err
	}
	if closing {
		c.Close()
	}
	return status, body, nil
}

func (c *Conn) readChunks(body []byte) ([]byte, error) {
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return body, err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 32)
		if err != nil || n < 0 || len(body)+int(n) > MaxBody {
			return body, fmt.Errorf("pollclient: bad chunk size %q", line)
		}
		if n == 0 {
			for { // trailers up to the blank line
				line, err = c.br.ReadSlice('\n')
				if err != nil {
					return body, err
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					return body, nil
				}
			}
		}
		at := len(body)
		body = grow(body, at+int(n))
		if _, err := io.ReadFull(c.br, body[at:]); err != nil {
			return body, err
		}
		if _, err := c.br.Discard(2); err != nil { // CRLF
			return body, err
		}
	}
}

func (c *Conn) readToEOF(body []byte) ([]byte, error) {
	for {
		if len(body) == cap(body) {
			body = append(body, 0)[:len(body)]
		}
		n, err := c.br.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if len(body) > MaxBody {
			return body, errors.New("pollclient: body too large")
		}
		if err == io.EOF {
			return body, nil
		}
		if err != nil {
			return body, err
		}
	}
}

// grow returns b resized to n bytes, reusing its array when it is large
// enough.
func grow(b []byte, n int) []byte {
	if cap(b) >= n {
		return b[:n]
	}
	return make([]byte, n, max(n, 2*cap(b)))
}
