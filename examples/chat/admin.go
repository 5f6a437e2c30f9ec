package main

import (
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"

	"github.com/go-chi/chi/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/sockio/sockio/admin"
	"github.com/sockio/sockio/server"
)

// adminFlags are the chat's Socket.IO Admin UI options (package admin).
type adminFlags struct {
	on, noAuth, readOnly bool
	user, password, hash string
}

func (f *adminFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.on, "admin", false, "serve the Socket.IO Admin UI's /admin namespace, and the UI at /admin-ui/ when @socket.io/admin-ui is installed")
	fs.StringVar(&f.user, "admin-user", "admin", "the Admin UI's user name")
	fs.StringVar(&f.password, "admin-password", "", "the Admin UI's password (or $SOCKIO_ADMIN_PASSWORD; hashed with bcrypt at start)")
	fs.StringVar(&f.hash, "admin-password-hash", "", "the bcrypt hash of the Admin UI's password, instead of -admin-password")
	fs.BoolVar(&f.noAuth, "admin-noauth", false, "let anyone use the Admin UI without a password (development only)")
	fs.BoolVar(&f.readOnly, "admin-readonly", false, "the Admin UI may look but not join, leave or disconnect")
}

// attach serves the admin namespace on srv; nil when -admin is off.
func (f adminFlags) attach(srv *server.Server, serverID string) (*admin.Admin, error) {
	if !f.on {
		if f.noAuth || f.readOnly || f.password != "" || f.hash != "" {
			return nil, errors.New("the -admin-* flags need -admin")
		}
		return nil, nil
	}
	opts := admin.Options{NoAuth: f.noAuth, ReadOnly: f.readOnly, ServerID: serverID}
	password := f.password
	if password == "" {
		password = os.Getenv("SOCKIO_ADMIN_PASSWORD")
	}
	switch {
	case f.noAuth && (password != "" || f.hash != ""):
		return nil, errors.New("-admin-noauth takes no password")
	case f.noAuth:
	case password != "" && f.hash != "":
		return nil, errors.New("give -admin-password or -admin-password-hash, not both")
	case f.hash != "":
		opts.Auth = &admin.BasicAuth{Username: f.user, PasswordHash: f.hash}
	case password != "":
		h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
		if err != nil {
			return nil, err
		}
		opts.Auth = &admin.BasicAuth{Username: f.user, PasswordHash: string(h)}
	default:
		return nil, errors.New("-admin needs -admin-password, -admin-password-hash or -admin-noauth")
	}
	return admin.Attach(srv, opts)
}

// mountAdminUI serves the Admin UI's dashboard from node_modules at
// /admin-ui/, or there a page that says how to install it.
func mountAdminUI(r chi.Router, modules string) {
	h, err := admin.UIHandler(filepath.Join(modules, admin.UIPackageDir))
	if err != nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "the Socket.IO Admin UI is not installed: run npm ci in client-js/ ("+err.Error()+")", http.StatusNotFound)
		})
	}
	r.Get("/admin-ui", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin-ui/", http.StatusMovedPermanently)
	})
	r.Handle("/admin-ui/*", http.StripPrefix("/admin-ui", h))
}
