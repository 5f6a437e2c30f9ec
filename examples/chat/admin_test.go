package main

import (
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/sockio/sockio/admin"
	"github.com/sockio/sockio/server"
)

func TestAdminFlags(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"-admin", "-admin-noauth"}, true},
		{[]string{"-admin", "-admin-password", "pw"}, true},
		{[]string{"-admin", "-admin-password-hash", string(hash)}, true},
		{[]string{"-admin"}, false},                                           // no password, no -admin-noauth
		{[]string{"-admin-noauth"}, false},                                    // without -admin
		{[]string{"-admin", "-admin-noauth", "-admin-password", "pw"}, false}, // both
		{[]string{"-admin", "-admin-password", "pw", "-admin-password-hash", "x"}, false},
		{[]string{"-admin", "-admin-password-hash", "not a hash"}, false},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Setenv("SOCKIO_ADMIN_PASSWORD", "")
			var f adminFlags
			fs := flag.NewFlagSet("chat", flag.ContinueOnError)
			f.register(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			adm, err := f.attach(server.New(server.Options{}), "test")
			if adm != nil {
				defer adm.Close()
			}
			if (err == nil) != tc.ok {
				t.Fatalf("attach: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestAdminUIIsServedFromNodeModules(t *testing.T) {
	modules := fakeModules(t, "4")
	ui := filepath.Join(modules, admin.UIPackageDir)
	if err := os.MkdirAll(filepath.Join(ui, "js"), 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(ui, "index.html"), []byte("<title>Socket.IO Admin UI</title>"), 0o644)
	_ = os.WriteFile(filepath.Join(ui, "js", "app.js"), []byte("var app;"), 0o644)
	ts := startChat(t, config{modules: modules, admin: true})

	if res, body := get(t, ts, "/admin-ui/"); res.StatusCode != 200 || !strings.Contains(body, "Admin UI") {
		t.Fatalf("/admin-ui/: %s %q", res.Status, body)
	}
	if res, body := get(t, ts, "/admin-ui/js/app.js"); res.StatusCode != 200 || body != "var app;" {
		t.Fatalf("/admin-ui/js/app.js: %s %q", res.Status, body)
	}
	if res, _ := get(t, ts, "/admin-ui"); res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/admin-ui/" {
		t.Fatalf("/admin-ui: %s to %q", res.Status, res.Header.Get("Location"))
	}
	for _, path := range []string{"/admin-ui/js/", "/admin-ui/../main.go", "/admin-ui/nope.js"} {
		if res, _ := get(t, ts, path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", path, res.Status)
		}
	}

	// Not installed: the page says how to install it.
	ts = startChat(t, config{modules: fakeModules(t, "4"), admin: true})
	if res, body := get(t, ts, "/admin-ui/"); res.StatusCode != http.StatusNotFound || !strings.Contains(body, "npm ci") {
		t.Fatalf("/admin-ui/ not installed: %s %q", res.Status, body)
	}
	// Without -admin there is no /admin-ui/ at all.
	ts = startChat(t, config{modules: modules})
	if res, body := get(t, ts, "/admin-ui/"); res.StatusCode != http.StatusNotFound || strings.Contains(body, "Admin UI") {
		t.Fatalf("/admin-ui/ without -admin: %s %q", res.Status, body)
	}
}
