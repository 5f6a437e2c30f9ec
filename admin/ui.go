package admin

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// UIPackageDir is where the built dashboard sits under a node_modules
// directory once @socket.io/admin-ui is installed.
const UIPackageDir = "@socket.io/admin-ui/ui/dist"

// UIHandler serves the dashboard built in dir (see [UIPackageDir]): its
// paths are relative and its router works on the URL's fragment, so it can be
// mounted under any prefix that ends in "/", with http.StripPrefix:
//
//	h, err := admin.UIHandler(filepath.Join(nodeModules, admin.UIPackageDir))
//	mux.Handle("/admin-ui/", http.StripPrefix("/admin-ui", h))
//
// Folders other than the root are not listed. It returns an error when dir
// has no index.html. The page loads its fonts and icons from public CDNs;
// without them it works, with plainer text and no icons.
func UIHandler(dir string) (http.Handler, error) {
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		return nil, fmt.Errorf("admin: no Admin UI in %s (npm install @socket.io/admin-ui): %w", dir, err)
	}
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if p := r.URL.Path; p != "/" && p != "" && strings.HasSuffix(p, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	}), nil
}
