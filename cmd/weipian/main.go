// Command weipian turns satellite imagery pairs into land-use change
// patches (图斑), verification tasks and inspection reports. It is a thin
// adapter: flags in, a use case of package app, printing out.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"runtime/pprof"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/pipeline/crs"
	"github.com/weipian/weipian/workers"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "weipian:", message(err))
		os.Exit(exitCode(err))
	}
}

// usageError marks errors in the command line itself (exit status 2).
type usageError struct{ error }

// message is what the user is shown of an error.
func message(err error) string {
	var ue usageError
	if errors.As(err, &ue) {
		return err.Error()
	}
	var ae *app.Error
	if errors.As(err, &ae) || app.KindOf(err) != app.KindInternal {
		return app.PublicMessage(err)
	}
	return err.Error()
}

// exitCode is 2 for usage errors and invalid input, 3 for refused access,
// 4 for a missing record, 1 otherwise.
func exitCode(err error) int {
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	switch app.KindOf(err) {
	case app.KindInvalid, app.KindTooLarge:
		return 2
	case app.KindForbidden, app.KindUnauthenticated:
		return 3
	case app.KindNotFound:
		return 4
	}
	return 1
}

// cli holds what every subcommand shares.
type cli struct {
	stdout, stderr io.Writer
	logLevel       string
	cpuProfile     string
	gdalCacheMB    int
	// gdalCacheUser is true when the user chose GDAL's cache (flag or
	// GDAL_CACHEMAX).
	gdalCacheUser bool
	log           *slog.Logger
	cfg           config
}

// config is the system configuration, from flags or the environment (flags
// win).
type config struct {
	Redis string           // WEIPIAN_REDIS host:port; empty: embedded mode
	S3    workers.S3Config // WEIPIAN_S3_ENDPOINT, _ACCESS_KEY, _SECRET_KEY, _BUCKET
	DB    string           // WEIPIAN_DB: postgres://… or a SQLite file (default weipian.db)
	Data  string           // WEIPIAN_DATA: blob directory of the embedded mode (default weipian-data)
	// EvidenceMaxMB bounds one evidence photo (WEIPIAN_EVIDENCE_MAX_MB).
	EvidenceMaxMB int
	// OutputCRS is the deployment's CRS of vector outputs (WEIPIAN_CRS).
	OutputCRS string
	// Report holds the local rules of the reports (report and serve flags).
	Report app.ReportConfig
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return def
}

// systemFlags adds the system's flags to cmd (persistent: every subcommand
// takes them).
func (c *config) systemFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&c.Redis, "redis", os.Getenv("WEIPIAN_REDIS"), "Redis address host:port for the distributed mode (env WEIPIAN_REDIS); empty: embedded mode")
	f.StringVar(&c.S3.Endpoint, "s3-endpoint", os.Getenv("WEIPIAN_S3_ENDPOINT"), "MinIO/S3 endpoint host:port (env WEIPIAN_S3_ENDPOINT)")
	f.StringVar(&c.S3.AccessKey, "s3-access-key", os.Getenv("WEIPIAN_S3_ACCESS_KEY"), "S3 access key (env WEIPIAN_S3_ACCESS_KEY)")
	f.StringVar(&c.S3.SecretKey, "s3-secret-key", os.Getenv("WEIPIAN_S3_SECRET_KEY"), "S3 secret key (env WEIPIAN_S3_SECRET_KEY)")
	f.StringVar(&c.S3.Bucket, "s3-bucket", envOr("WEIPIAN_S3_BUCKET", "weipian"), "bucket for batches (env WEIPIAN_S3_BUCKET)")
	f.BoolVar(&c.S3.Secure, "s3-https", os.Getenv("WEIPIAN_S3_HTTPS") == "1", "use HTTPS for S3 (env WEIPIAN_S3_HTTPS=1)")
	f.StringVar(&c.DB, "db", envOr("WEIPIAN_DB", "weipian.db"), "state store: postgres://… URL or a SQLite file (env WEIPIAN_DB)")
	f.StringVar(&c.Data, "data", envOr("WEIPIAN_DATA", "weipian-data"), "blob directory of the embedded mode (env WEIPIAN_DATA)")
	f.StringVar(&c.OutputCRS, "output-crs", envOr("WEIPIAN_CRS", "4490"), "default CRS of vector outputs that carry one (env WEIPIAN_CRS): "+crs.Names)
	f.IntVar(&c.EvidenceMaxMB, "evidence-max-mb", envInt("WEIPIAN_EVIDENCE_MAX_MB", 32), "size limit of one evidence photo in MiB (env WEIPIAN_EVIDENCE_MAX_MB)")
}

// open wires the system. The caller closes it.
func (a *cli) open(ctx context.Context) (*app.App, error) {
	if a.cfg.EvidenceMaxMB < 1 || a.cfg.EvidenceMaxMB > 1024 {
		return nil, usageError{fmt.Errorf("--evidence-max-mb %d: want 1..1024", a.cfg.EvidenceMaxMB)}
	}
	return app.Open(ctx, app.Config{Redis: a.cfg.Redis, S3: a.cfg.S3, DB: a.cfg.DB, Data: a.cfg.Data,
		EvidenceMaxBytes: int64(a.cfg.EvidenceMaxMB) << 20, OutputCRS: a.cfg.OutputCRS, Report: a.cfg.Report, Log: a.log})
}

// operator is the CLI's principal: an administrator named by --by, else
// the OS user.
func operator(by string) app.Principal {
	if by == "" {
		if u, err := user.Current(); err == nil {
			by = u.Username
		}
	}
	return app.Operator(by)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a := &cli{stdout: stdout, stderr: stderr}
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
			a.gdalCacheUser = os.Getenv("GDAL_CACHEMAX") != "" || cmd.Flags().Changed("gdal-cache-mb")
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
	a.cfg.systemFlags(root)
	root.AddCommand(a.detectCmd(), a.evalCmd(), a.batchCmd(), a.imageryCmd(), a.workerCmd(), a.serveCmd(), a.benchCmd(),
		a.ledgerCmd(), a.reconcileCmd(), a.zonesCmd(), a.tasksCmd(), a.tubanCmd(), a.usersCmd(), a.auditCmd(), a.xiafaCmd(), a.reportCmd())
	return root.ExecuteContext(ctx)
}
