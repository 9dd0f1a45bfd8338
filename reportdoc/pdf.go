package reportdoc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The PDF is the HTML page printed by headless Chromium (print-to-PDF over
// the DevTools protocol, through chromedp): one layout for both documents,
// the CJK faces from the system (Debian's fonts-noto-cjk), the SVG charts
// as vectors. A Go PDF library would need a second layout of every table
// and chart, and the Noto CJK faces are CFF-flavoured OpenType that the
// pure-Go PDF writers cannot embed.

// ErrNoBrowser is returned by WritePDF when no Chromium is found.
var ErrNoBrowser = errors.New("reportdoc: no Chromium or Chrome found (install chromium: scripts/setup.sh report)")

// FindBrowser returns the path of a Chromium or Chrome executable:
// $WEIPIAN_CHROMIUM, else the first of chromium, chromium-browser,
// google-chrome and google-chrome-stable on the PATH, else /usr/bin/chromium.
func FindBrowser() (string, error) {
	if p := os.Getenv("WEIPIAN_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: WEIPIAN_CHROMIUM=%s: %v", ErrNoBrowser, p, err)
		}
		return p, nil
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	return "", ErrNoBrowser
}

// PDFOptions configure WritePDF.
type PDFOptions struct {
	// Browser is the Chromium executable ("" = FindBrowser).
	Browser string
	// Timeout bounds the whole print (0 = 2 minutes).
	Timeout time.Duration
}

// WritePDF prints the HTML report (WriteHTML) to PDF on A4 landscape with
// page numbers. It starts a headless Chromium of its own with a fresh
// profile directory (removed afterwards) and no network use, and fixes the
// PDF's creation and modification dates, so that the same Document gives
// the same bytes.
func WritePDF(ctx context.Context, w io.Writer, d *Document, opt PDFOptions) error {
	var html bytes.Buffer
	if err := WriteHTML(&html, d); err != nil {
		return err
	}
	pdf, err := PrintHTML(ctx, html.String(), opt)
	if err != nil {
		return err
	}
	if _, err := w.Write(pdf); err != nil {
		return fmt.Errorf("reportdoc: write pdf: %w", err)
	}
	return nil
}

// printers bounds the Chromium processes printing at once (each takes a
// few hundred MB): a busy server queues PDF requests instead of starting a
// browser per request.
var printers = make(chan struct{}, 2)

// PrintHTML prints an HTML page to PDF with headless Chromium (see
// WritePDF). At most two prints run at once; others wait (or give up when
// ctx ends).
func PrintHTML(ctx context.Context, html string, opt PDFOptions) ([]byte, error) {
	select {
	case printers <- struct{}{}:
		defer func() { <-printers }()
	case <-ctx.Done():
		return nil, fmt.Errorf("reportdoc: waiting to print: %w", ctx.Err())
	}
	browser := opt.Browser
	if browser == "" {
		var err error
		if browser, err = FindBrowser(); err != nil {
			return nil, err
		}
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 2 * time.Minute
	}
	profile, err := os.MkdirTemp("", "weipian-chromium-")
	if err != nil {
		return nil, fmt.Errorf("reportdoc: browser profile: %w", err)
	}
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	var stderr bytes.Buffer
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(browser),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.CombinedOutput(&stderr),
	)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	var pdf []byte
	err = chromedp.Do(bctx,
		chromedp.Navigate("about:blank"),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
			if err != nil {
				return err
			}
			_, err = chromedp.Call(ctx, page.SetDocumentContent, page.SetDocumentContentParams{FrameID: tree.FrameTree.Frame.ID, HTML: html})
			return err
		}),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			// Wait until the fonts are loaded and laid out.
			_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise))
			return err
		}),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			var err error
			pdf, err = chromedp.Run(ctx, chromedp.PrintToPDF(
				chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFLandscape(), chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground(),
				chromedp.PDFHeaderTemplate(`<div></div>`),
				chromedp.PDFFooterTemplate(`<div style="font-size:8px;width:100%;text-align:center;color:#555">第 <span class="pageNumber"></span> 页 / 共 <span class="totalPages"></span> 页</div>`),
			))
			return err
		}),
	)
	if err != nil {
		msg := stderr.String()
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return nil, fmt.Errorf("reportdoc: print to PDF with %s: %w (browser output: %s)", browser, err, bytes.TrimSpace([]byte(msg)))
	}
	return FixPDFDates(pdf), nil
}

var pdfDate = regexp.MustCompile(`/(CreationDate|ModDate) ?\(D:[0-9]{14}([^)]*)\)`)

// FixPDFDates replaces the creation and modification dates of a PDF by
// 2000-01-01 00:00:00, keeping every byte offset (the date is rewritten
// digit for digit), so the cross-reference table stays right.
func FixPDFDates(pdf []byte) []byte {
	return pdfDate.ReplaceAllFunc(pdf, func(m []byte) []byte {
		out := bytes.Clone(m)
		i := bytes.Index(out, []byte("(D:")) + 3
		copy(out[i:i+14], "20000101000000")
		// The zone (+08'00', Z) keeps its length: blank its digits too.
		for j := i + 14; j < len(out)-1; j++ {
			if out[j] >= '0' && out[j] <= '9' {
				out[j] = '0'
			}
		}
		return out
	})
}
