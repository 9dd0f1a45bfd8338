package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/app/httpapi"
	"github.com/weipian/weipian/app/web"
)

func (a *cli) serveCmd() *cobra.Command {
	var listen, certFile, keyFile string
	var trustProxy bool
	var tileCacheMiB, tileRenders int
	var rf reportFlags
	cmd := &cobra.Command{
		Use:   "serve [--listen 127.0.0.1:8080] [--tls-cert F --tls-key F] [--trust-proxy]",
		Short: "Serve the HTTP API (and, in the embedded mode, run the queued batches)",
		Long: `Serve listens on 127.0.0.1:8080 by default: only this machine can reach it.
To serve a bureau's network, either put it behind a reverse proxy (nginx,
Caddy) that terminates TLS and pass --trust-proxy (client addresses and the
scheme then come from X-Forwarded-For and X-Forwarded-Proto), or listen on
the network with TLS: --listen :8443 --tls-cert cert.pem --tls-key key.pem.
Every route but /healthz, /metrics, /openapi.json and /docs needs a login
(weipian users add … creates the accounts).

The web console is at / (open http://127.0.0.1:8080/ in a browser): staff
submit and follow batches and list 图斑, patrol teams work their tasks on a
phone (photos straight from the camera), the office reconciles patrols and
manages users. It is built into the binary (make web) and loads nothing
from outside.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (certFile == "") != (keyFile == "") {
				return usageError{errors.New("--tls-cert and --tls-key go together")}
			}
			rc, err := rf.config()
			if err != nil {
				return err
			}
			a.cfg.Report = rc
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			if !s.Distributed() {
				go func() {
					if err := s.RunQueued(ctx, false); err != nil && ctx.Err() == nil {
						a.log.Error("embedded queue stopped", "err", err)
					}
				}()
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			if !web.Built() {
				a.log.Warn("the web console is not built into this binary: run make web, then rebuild")
			}
			tiles := app.NewTiles(s, app.TileOptions{CacheBytes: int64(tileCacheMiB) << 20, Renders: tileRenders})
			api := httpapi.New(s, httpapi.Options{TrustProxy: trustProxy, Log: a.log, Console: web.Handler(), Extra: httpapi.ConsoleRoutes(tiles)})
			srv := httpapi.NewHTTPServer(api)
			go func() {
				<-ctx.Done()
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
				defer cancel()
				srv.Shutdown(sctx)
			}()
			a.log.Info("serving", "addr", ln.Addr().String(), "distributed", s.Distributed(), "tls", certFile != "")
			fmt.Fprintf(a.stdout, "listening on %s\n", ln.Addr())
			if certFile != "" {
				err = srv.ServeTLS(ln, certFile, keyFile)
			} else {
				err = srv.Serve(ln)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on (default: this machine only)")
	cmd.Flags().StringVar(&certFile, "tls-cert", "", "TLS certificate (PEM) to serve HTTPS")
	cmd.Flags().StringVar(&keyFile, "tls-key", "", "TLS private key (PEM)")
	cmd.Flags().IntVar(&tileCacheMiB, "tile-cache-mib", 64, "memory for rendered map tiles of the web console (MiB)")
	cmd.Flags().IntVar(&tileRenders, "tile-renders", 0, "map tiles rendered at once (0: one per CPU)")
	cmd.Flags().BoolVar(&trustProxy, "trust-proxy", false, "behind a reverse proxy: take the client address and scheme from X-Forwarded-For/-Proto")
	rf.register(cmd.Flags()) // the reports of GET /reports
	return cmd
}
