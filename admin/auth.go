package admin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sockio/sockio/namespace"
)

// Bounds on what a login may send before any work is done for it.
const (
	maxAuthBytes     = 4096 // the CONNECT's auth object
	maxUsernameBytes = 256
	maxPasswordBytes = 72 // bcrypt reads no further
	sessionIDBytes   = 8  // random bytes of a session id, sent as hex
	maxSessions      = 1024
	sessionTTL       = 24 * time.Hour
)

// sessionEvent is the server-side event that hands a new session id to
// the other processes of a cluster, so that a UI that reloads and lands on
// another process stays logged in.
const sessionEvent = "sockio-admin:session"

// credentials is the auth object the UI sends: its login form's fields, or
// the session id it was given.
type credentials struct {
	SessionID string `json:"sessionId"`
	Username  string `json:"username"`
	Password  string `json:"password"`
}

// authenticate is the admin namespace's middleware: a known session id,
// or the user name and password, let a socket in; nothing else does.
func (a *Admin) authenticate(s *namespace.Socket) error {
	if len(a.ns.Sockets()) >= a.opts.MaxSockets { // joined before their CONNECT was acknowledged
		return errTooMany
	}
	if a.opts.NoAuth {
		return nil
	}
	raw := s.Handshake().Auth
	var cred credentials
	if len(raw) > maxAuthBytes || json.Unmarshal(raw, &cred) != nil {
		return errInvalidCred
	}
	if cred.SessionID != "" && a.sessions.valid(cred.SessionID) {
		return nil
	}
	if !a.checkPassword(cred.Username, cred.Password) {
		return errInvalidCred
	}
	id, err := newSessionID()
	if err != nil {
		return errInvalidCred
	}
	a.sessions.add(id)
	// Sent before the CONNECT acknowledgement, as the Node instrument does;
	// the client holds it until it is connected.
	_ = s.Emit("session", id)
	if err := a.ns.ServerSideEmit(sessionEvent, id); err != nil {
		a.log.Debug("sockio admin: sharing a session id", "err", err)
	}
	return nil
}

// checkPassword compares the login with the configured one. Oversized
// fields are refused before bcrypt runs, and bcrypt runs for one login at a
// time, so that a flood of logins costs the server one core at most.
func (a *Admin) checkPassword(username, password string) bool {
	auth := a.opts.Auth
	if len(username) > maxUsernameBytes || len(password) > maxPasswordBytes || password == "" {
		return false
	}
	a.bcrypt <- struct{}{}
	defer func() { <-a.bcrypt }()
	// The hash is compared even for a wrong name, so that timing does not
	// tell which names exist.
	passOK := bcrypt.CompareHashAndPassword([]byte(auth.PasswordHash), []byte(password)) == nil
	nameOK := subtle.ConstantTimeCompare([]byte(username), []byte(auth.Username)) == 1
	return passOK && nameOK
}

// peerSession stores a session id another process of the cluster created.
func (a *Admin) peerSession(e *namespace.ServerEvent) {
	var id string
	if e.Len() != 1 || e.Decode(0, &id) != nil || len(id) != 2*sessionIDBytes {
		return
	}
	a.sessions.add(id)
}

func newSessionID() (string, error) {
	var b [sessionIDBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// sessionStore keeps the session ids of logged-in UIs for sessionTTL, at
// most maxSessions of them (the oldest goes first).
type sessionStore struct {
	mu  sync.Mutex
	ids map[string]time.Time // id -> expiry
}

func newSessionStore() *sessionStore { return &sessionStore{ids: map[string]time.Time{}} }

func (st *sessionStore) add(id string) {
	now := time.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	for k, exp := range st.ids {
		if now.After(exp) {
			delete(st.ids, k)
		}
	}
	if len(st.ids) >= maxSessions {
		oldest, first := "", time.Time{}
		for k, exp := range st.ids {
			if oldest == "" || exp.Before(first) {
				oldest, first = k, exp
			}
		}
		delete(st.ids, oldest)
	}
	st.ids[id] = now.Add(sessionTTL)
}

func (st *sessionStore) valid(id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	exp, ok := st.ids[id]
	return ok && time.Now().Before(exp)
}
