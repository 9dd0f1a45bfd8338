// Command weipian turns satellite imagery pairs into land-use change
// patches (图斑), verification tasks and inspection reports.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "weipian:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError marks errors in the command line itself (exit status 2).
type usageError struct{ error }

// app holds what every subcommand shares.
type app struct {
	stdout, stderr io.Writer
	logLevel       string
	cpuProfile     string
	gdalCacheMB    int
	log            *slog.Logger
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a := &app{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "weipian",
		Short:         "卫片执法: satellite change patches, verification tasks and patrol reconciliation",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(a.logLevel)); err != nil {
				return usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", a.logLevel)}
			}
			// GDAL's block cache defaults to 5% of RAM; bound it so a
			// worker's memory does not depend on the machine. GDAL reads
			// the setting when the cache is first used.
			if os.Getenv("GDAL_CACHEMAX") == "" && a.gdalCacheMB > 0 {
				os.Setenv("GDAL_CACHEMAX", strconv.Itoa(a.gdalCacheMB))
			}
			a.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
			slog.SetDefault(a.log)
			if a.cpuProfile != "" {
				f, err := os.Create(a.cpuProfile)
				if err != nil {
					return err
				}
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
			}
			return nil
		},
		PersistentPostRun: func(*cobra.Command, []string) {
			if a.cpuProfile != "" {
				pprof.StopCPUProfile()
			}
		},
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&a.cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	root.PersistentFlags().IntVar(&a.gdalCacheMB, "gdal-cache-mb", 256, "GDAL block cache in MB (env GDAL_CACHEMAX wins)")
	root.AddCommand(a.detectCmd(), a.evalCmd(), a.batchCmd(), a.workerCmd(), a.serveCmd(), a.benchCmd(), a.ledgerCmd(), a.reconcileCmd(), a.zonesCmd(), a.tasksCmd(), a.tubanCmd())
	return root.ExecuteContext(ctx)
}
