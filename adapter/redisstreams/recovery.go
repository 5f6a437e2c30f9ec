package redisstreams

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockio/sockio/adapter/internal/cluster"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// Connection state recovery across processes, as the Node adapter does it:
// a session is a Redis key (SET sio:session:<pid>, base64 of msgpack,
// expiring after MaxDisconnectionDuration), and the events a client missed
// are the stream's entries after its offset.

// wireSession is a session as the Node adapter stores it.
type wireSession struct {
	SID   string   `msgpack:"sid"`
	PID   string   `msgpack:"pid"`
	Rooms []string `msgpack:"rooms"`
	Data  any      `msgpack:"data"`
}

// maxRangeCalls bounds the XRANGE calls of one restore (the Node adapter's
// limit), and rangeCount the entries of one.
const (
	maxRangeCalls = 100
	rangeCount    = 1000
)

var offsetRE = regexp.MustCompile(`^[0-9]+-[0-9]+$`)

// PersistSession implements [namespace.SessionAdapter]: the session is
// written by a goroutine the cluster owns (Close waits for it), bounded by
// RequestsTimeout; a failure is logged.
func (a *adapter) PersistSession(s *namespace.Session) {
	cfg := a.ns.Recovery()
	if cfg == nil || s == nil || s.PID == "" {
		return
	}
	data, err := fromJSONValue(s.Data)
	if err != nil {
		data = nil
	}
	rooms := s.Rooms
	if rooms == nil {
		rooms = []string{}
	}
	b, err := cluster.Marshal(wireSession{SID: s.SID, PID: s.PID, Rooms: rooms, Data: data})
	if err != nil {
		a.c.opts.Logger.Warn("redis streams adapter: session not kept", "sid", s.SID, "err", err)
		return
	}
	key := a.c.opts.SessionKeyPrefix + s.PID
	value := base64.StdEncoding.EncodeToString(b)
	a.c.spawn(func() {
		err := a.c.call(context.Background(), "set", func(ctx context.Context) error {
			return a.c.client.Set(ctx, key, value, cfg.MaxDisconnectionDuration).Err()
		})
		if err != nil {
			a.c.opts.Logger.Warn("redis streams adapter: session not kept", "sid", s.SID, "err", err)
		}
	})
}

// RestoreSession implements [namespace.SessionAdapter]: the session is
// taken (MULTI GET DEL EXEC), the entry at offset must still be in the
// stream, and the broadcasts after it that reach the session's rooms are
// the missed events, each with its entry's id as offset (volatile ones
// included, as in Node).
func (a *adapter) RestoreSession(ctx context.Context, pid, offset string) (*namespace.RestoredSession, error) {
	if !offsetRE.MatchString(offset) || pid == "" {
		return nil, nil
	}
	var get *goredis.StringCmd
	_, err := a.c.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		get = p.Get(ctx, a.c.opts.SessionKeyPrefix+pid)
		p.Del(ctx, a.c.opts.SessionKeyPrefix+pid)
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, err
	}
	raw, err := get.Result()
	if errors.Is(err, goredis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	at, err := a.c.client.XRange(ctx, a.stream, offset, offset).Result()
	if err != nil {
		return nil, err
	}
	if len(at) == 0 { // trimmed, or never there
		return nil, nil
	}
	s, err := sessionIn(raw)
	if err != nil {
		a.c.opts.Logger.Debug("redis streams adapter: malformed session", "pid", pid, "err", err)
		return nil, nil
	}
	rs := &namespace.RestoredSession{Session: *s}
	for range maxRangeCalls {
		entries, err := a.c.client.XRangeN(ctx, a.stream, nextOffset(offset), "+", rangeCount).Result()
		if err != nil {
			return nil, err
		}
		if len(entries) == 0 {
			break
		}
		for _, e := range entries {
			offset = e.ID
			if p := a.missed(e, s.Rooms); p != nil {
				rs.Missed = append(rs.Missed, p)
			}
		}
	}
	return rs, nil
}

// missed returns the event of entry e if it is a broadcast of this
// namespace that reaches a socket in rooms, else nil.
func (a *adapter) missed(e goredis.XMessage, rooms []string) *payload.Shared {
	if nsp, _ := e.Values["nsp"].(string); nsp != a.ns.Name() {
		return nil
	}
	if t, _ := e.Values["type"].(string); t != strconv.Itoa(cluster.MsgBroadcast) {
		return nil
	}
	m, err := decodeEntry(e.Values)
	if err != nil {
		return nil
	}
	opts, _ := cluster.OptsIn(m.Data["opts"])
	if !reaches(rooms, opts) {
		return nil
	}
	p, err := cluster.SharedIn(m.Data["packet"], a.ns.Name())
	if err != nil {
		return nil
	}
	p.Offset = e.ID
	return p
}

// reaches reports whether a broadcast with opts reaches a socket in rooms.
func reaches(rooms []string, opts namespace.BroadcastOptions) bool {
	in := len(opts.Rooms) == 0
	for _, r := range rooms {
		for _, x := range opts.Except {
			if r == x {
				return false
			}
		}
		for _, x := range opts.Rooms {
			in = in || r == x
		}
	}
	return in
}

// nextOffset is the smallest id after offset (XRANGE's exclusive start,
// written for Redis before 6.2 as the Node adapter does).
func nextOffset(offset string) string {
	ts, seq, _ := strings.Cut(offset, "-")
	n, err := strconv.ParseUint(seq, 10, 64)
	if err != nil || n == math.MaxUint64 {
		return "(" + offset
	}
	return ts + "-" + strconv.FormatUint(n+1, 10)
}

// sessionIn reads a session Node or sockio stored.
func sessionIn(raw string) (*namespace.Session, error) {
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, err
	}
	v, err := cluster.Unmarshal(b)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("redis streams adapter: session is not a map")
	}
	s := &namespace.Session{Rooms: cluster.Rooms(m["rooms"])}
	s.SID, _ = m["sid"].(string)
	s.PID, _ = m["pid"].(string)
	if d := m["data"]; d != nil {
		// As fetchSockets gives another process's data: decoded from JSON.
		if j, err := json.Marshal(d); err == nil {
			_ = json.Unmarshal(j, &s.Data)
		}
	}
	if s.SID == "" {
		return nil, errors.New("redis streams adapter: session without sid")
	}
	return s, nil
}

var _ namespace.SessionAdapter = (*adapter)(nil)
