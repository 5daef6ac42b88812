//go:build unix

package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

// browserTimeout bounds one run of the browser: a hung Chromium fails the
// test instead of hanging CI. Starting takes a few seconds on a slow
// two-core machine; rendering this page takes well under one.
const browserTimeout = 60 * time.Second

// findBrowser returns a Chromium to drive: $SLAD_BROWSER if set, else the
// first of the usual names on $PATH. Without one the test is skipped, except
// in CI (CI=true), which always installs one: there a missing browser is a
// broken CI image, not a reason to pass.
func findBrowser(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("SLAD_BROWSER"); b != "" {
		path, err := exec.LookPath(b)
		if err != nil {
			t.Fatalf("SLAD_BROWSER=%q: %v", b, err)
		}
		return path
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	const msg = "no Chromium found: install Debian's chromium package (CI does) to run the status page browser test"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI=true, so this is a failure, not a skip")
	}
	t.Skip(msg)
	return ""
}

// headless runs the browser once, headless, with a profile of its own, and
// returns what it printed on stdout.
func headless(t *testing.T, browser string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	flags := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir(),
	}
	cmd := exec.CommandContext(ctx, browser, append(flags, args...)...)
	// Chromium starts helper processes (zygote, GPU, renderer): run it in a
	// process group of its own so that a timeout ends all of them.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	began := time.Now()
	err := cmd.Run()
	if cmd.Process != nil {
		// Helpers left behind by a browser that exited are ours to end.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	t.Logf("%s %s: %s", filepath.Base(browser), strings.Join(args, " "), time.Since(began).Round(time.Millisecond))
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("the browser did not finish within %s; its stderr:\n%s", browserTimeout, stderr.String())
	}
	if err != nil {
		t.Fatalf("the browser failed: %v; its stderr:\n%s", err, stderr.String())
	}
	return stdout.Bytes()
}

// artifactDir is where screenshots and the printed report go: $SLAD_ARTIFACTS
// (CI keeps it), else a temporary directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SLAD_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

var (
	domTagRE     = regexp.MustCompile(`(?s)<style>.*?</style>|<[^>]*>`)
	domSpaceRE   = regexp.MustCompile(`\s+`)
	domRowRE     = regexp.MustCompile(`(?s)<tr[ >].*?</tr>`)
	domH3RE      = regexp.MustCompile(`(?s)<h3[^>]*>(.*?)</h3>`)
	domRowHeadRE = regexp.MustCompile(`(?s)<th scope="row"[^>]*>(.*?)</th>`)
	pdfPageRE    = regexp.MustCompile(`/Type\s*/Page[^s]`)
)

// domText is what a reader sees of some markup.
func domText(s string) string {
	return strings.TrimSpace(domSpaceRE.ReplaceAllString(html.UnescapeString(domTagRE.ReplaceAllString(s, " ")), " "))
}

// domRows returns the text of the table rows headed by id: an SLA's or a
// request's.
func domRows(dom, id string) []string {
	var out []string
	for _, tr := range domRowRE.FindAllString(dom, -1) {
		th := domRowHeadRE.FindStringSubmatch(tr)
		if th != nil && strings.Fields(domText(th[1]) + " ")[0] == id {
			out = append(out, domText(tr))
		}
	}
	return out
}

func domHeadings(dom string) []string {
	var out []string
	for _, m := range domH3RE.FindAllStringSubmatch(dom, -1) {
		out = append(out, domText(m[1]))
	}
	return out
}

// checkScreenshot decodes a PNG and checks that it has the size asked for,
// shows more than a blank page, and has the header's panel colour at its
// top-left corner: proof that the stylesheet was applied, so that the
// Content-Security-Policy's hash matches it.
func checkScreenshot(t *testing.T, file string, width, height int) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 10_000 {
		t.Errorf("%s: %d bytes is too small for a rendered page", file, len(data))
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: not a PNG: %v", file, err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Errorf("%s: %dx%d, want %dx%d", file, b.Dx(), b.Dy(), width, height)
	}
	if n := colours(img); n < 20 {
		t.Errorf("%s: only %d colours: the page did not render", file, n)
	}
	r, g, b, _ := img.At(3, 3).RGBA()
	if got := [3]uint32{r >> 8, g >> 8, b >> 8}; got != [3]uint32{0xf5, 0xf7, 0xf9} {
		t.Errorf("%s: the header is rgb%v, not the stylesheet's #f5f7f9: was the stylesheet refused?", file, got)
	}
}

// shot is a screenshot to take: the file name, the page and the window.
type shot struct {
	name          string
	path          string
	width, height int
}

// takeScreenshots saves each shot of the pages under base into out and
// checks that it shows a styled page.
func takeScreenshots(t *testing.T, browser, out, base string, shots []shot) {
	t.Helper()
	for _, sh := range shots {
		file := filepath.Join(out, sh.name)
		_ = os.Remove(file)
		headless(t, browser, "--screenshot="+file, fmt.Sprintf("--window-size=%d,%d", sh.width, sh.height), base+sh.path)
		checkScreenshot(t, file, sh.width, sh.height)
		t.Logf("screenshot %s", file)
	}
}

// printToPDF prints url to out/name and returns the file's bytes, failing
// the test unless it is a printed page.
func printToPDF(t *testing.T, browser, out, name, url string) []byte {
	t.Helper()
	file := filepath.Join(out, name)
	_ = os.Remove(file)
	headless(t, browser, "--print-to-pdf="+file, url)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("%PDF-")) || len(data) < 10_000 {
		t.Errorf("%s: %d bytes starting %q is not a printed page", file, len(data), data[:min(len(data), 8)])
	}
	return data
}

// colours counts the distinct colours on a grid of samples.
func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}

func TestStatusPageInARealBrowser(t *testing.T) {
	browser := findBrowser(t)
	dir := t.TempDir()
	clock := testutil.NewClock(testNow)
	in := start(t, copyConfig(t, dir), filepath.Join(dir, "data"), clock.Now)
	for _, h := range histories() {
		if status, body := in.post(adminToken, h...); status != 200 {
			t.Fatalf("post: %d %v", status, body)
		}
	}
	// IT-3 is at risk once an evaluation tick has fired its warning.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var st struct {
			AtRisk int `json:"at_risk"`
		}
		if in.getJSON("/api/v1/slas/it-sales-incidents", &st); st.AtRisk == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no evaluation tick marked IT-3 at risk within 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	out := artifactDir(t)
	t.Logf("screenshots and the printed report go to %s", out)

	t.Run("the whole organisation's view renders every SLA and what needs attention", func(t *testing.T) {
		dom := string(headless(t, browser, "--dump-dom", in.url+"/"))
		if !strings.Contains(dom, `<html lang="en">`) || !strings.Contains(dom, "<h1>SLA status</h1>") {
			t.Fatalf("the browser did not render the status page:\n%s", dom)
		}
		if got := domHeadings(dom); strings.Join(got, "|") != "IT Service Desk lead: Dana Ops" {
			t.Errorf("department headings %q; want only IT Service Desk (the sole provider)", got)
		}
		for _, id := range []string{"it-sales-incidents", "it-oncall"} {
			if len(domRows(dom, id)) != 1 {
				t.Errorf("no row for SLA %s", id)
			}
		}
		if row := domRows(dom, "it-sales-incidents"); len(row) == 1 && !strings.Contains(row[0], "Below objective") {
			t.Errorf("it-sales-incidents should stand below its objective: %s", row[0])
		}
		it2 := domRows(dom, "IT-2")
		want := map[string]bool{
			"IT-2 Breached 21h45m ago": false, // it-oncall response
			"IT-2 Breached 21h30m ago": false, // it-sales-incidents response
			"IT-2 Breached 2h ago":     false, // it-sales-incidents resolution
		}
		for _, row := range it2 {
			for prefix := range want {
				if strings.HasPrefix(row, prefix) {
					want[prefix] = true
				}
			}
		}
		for prefix, ok := range want {
			if !ok {
				t.Errorf("no row %q...; IT-2's rows: %q", prefix, it2)
			}
		}
		if it3 := domRows(dom, "IT-3"); len(it3) != 1 || !strings.HasPrefix(it3[0], "IT-3 At risk in 1h") {
			t.Errorf("IT-3 should be at risk with its deadline in 1h: %q", it3)
		}
		for _, id := range []string{"IT-1", "IT-4"} {
			if rows := domRows(dom, id); len(rows) > 0 {
				t.Errorf("%s needs no attention but is listed: %q", id, rows)
			}
		}
	})

	t.Run("a department's bookmark narrows the view to it", func(t *testing.T) {
		dom := string(headless(t, browser, "--dump-dom", in.url+"/?department=sales"))
		if !strings.Contains(dom, "<h1>SLA status: Sales</h1>") {
			t.Fatalf("not the Sales view:\n%s", domText(dom))
		}
		if !regexp.MustCompile(`href="/\?department=sales" aria-current="page"`).MatchString(dom) {
			t.Error("the Sales filter link is not marked as the current page")
		}
		if len(domRows(dom, "IT-2")) != 3 || len(domRows(dom, "IT-3")) != 1 {
			t.Error("the Sales view lacks the breached and at-risk requests of Sales")
		}
		dom = string(headless(t, browser, "--dump-dom", in.url+"/?department=hr"))
		if len(domRows(dom, "IT-2")) != 0 || !strings.Contains(domText(dom), "Nothing is at risk or breached for Human Resources") {
			t.Errorf("the HR view lists requests HR neither provides nor receives:\n%s", domText(dom))
		}
	})

	t.Run("screenshots on a desktop and a phone show the styled page", func(t *testing.T) {
		takeScreenshots(t, browser, out, in.url, []shot{
			{"status-desktop.png", "/", 1280, 1600},
			{"status-phone.png", "/", 390, 844},
			{"status-sales-desktop.png", "/?department=sales", 1280, 1600},
		})
	})

	t.Run("the printed report is a PDF", func(t *testing.T) {
		file := filepath.Join(out, "status-report.pdf")
		data := printToPDF(t, browser, out, "status-report.pdf", in.url+"/")
		pages := len(pdfPageRE.FindAll(data, -1))
		if pages == 0 {
			t.Errorf("%s: no page in the PDF", file)
		}
		t.Logf("printed report %s: %d bytes, %d pages", file, len(data), pages)
	})
}
