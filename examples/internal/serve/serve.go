// Package serve runs an example's HTTP server until the process is told
// to stop, then shuts it down in order.
package serve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Run serves hs on ln until serving fails or the process gets SIGINT or
// SIGTERM. On a signal it calls each of stops (the socket.io servers'
// Close, which tell their clients), then shuts hs down, all within grace.
//
// serveErr is the error that ended serving before a signal came; when it
// is nil, shutdownErr is hs.Shutdown's error, or a serve error other than
// http.ErrServerClosed. Errors of stops are theirs to report.
func Run(hs *http.Server, ln net.Listener, grace time.Duration, stops ...func(context.Context) error) (serveErr, shutdownErr error) {
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case err := <-served:
		return err, nil
	case <-sig:
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	for _, stop := range stops {
		_ = stop(ctx)
	}
	if err := hs.Shutdown(ctx); err != nil {
		return nil, err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return nil, err
	}
	return nil, nil
}
