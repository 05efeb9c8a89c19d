package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The index page, loaded in headless Chromium as a reader would: it lists
// every output with its three formats and the stories with their outlets,
// and its Content-Security-Policy blocks nothing it uses.
// The screenshot is kept at $AGGREGATOR_SCREENSHOT when set.
func TestIndexInChromium(t *testing.T) {
	browser := lookChromium(t)
	dir := t.TempDir()
	cfg := writeKimDemo(t, dir, "")
	// Fill the store first, so the daemon serves the stories at once.
	if err := run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	loaded, err := loadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	addr := loaded.Server.Listen

	startDaemon(t, cfg, addr)
	page := "http://" + addr + "/"

	shot := os.Getenv("AGGREGATOR_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(dir, "index.png")
	}
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "chromium"), "--window-size=412,2000"}
	cctx, ccancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer ccancel()
	// The console, logged to stderr, says what the page's
	// Content-Security-Policy blocked: nothing, or the page lacks it.
	dump := exec.CommandContext(cctx, browser, append(flags, "--enable-logging=stderr", "--v=0", "--dump-dom", page)...)
	var console strings.Builder
	dump.Stderr = &console
	dom, err := dump.Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, console.String())
	}
	for line := range strings.Lines(console.String()) {
		if strings.Contains(line, "Content Security Policy") {
			t.Errorf("the page's Content-Security-Policy blocks what it uses: %s", line)
		}
	}
	for _, want := range []string{
		"Korea watch", "Korea, widely reported",
		`href="feeds/korea.atom"`, `href="feeds/korea.rss"`, `href="feeds/korea.json"`,
		"Kremlin confirms Kim Jong-un visit as Putin seeks ammunition for Ukraine war", "Kim Jong Un and Putin hold talks at Russian space centre",
		"Pacific Observer", "Newsroom Global", "Vladimir Putin",
	} {
		if !strings.Contains(string(dom), want) && !strings.Contains(string(dom), strings.ReplaceAll(want, "’", "&rsquo;")) {
			t.Errorf("the page as Chromium sees it lacks %q", want)
		}
	}
	if strings.Contains(string(dom), "<script") {
		t.Error("the page carries a <script>")
	}
	if out, err := exec.CommandContext(cctx, browser, append(flags, "--screenshot="+shot, page)...).CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, out)
	}
	if st, err := os.Stat(shot); err != nil || st.Size() == 0 {
		t.Fatalf("no screenshot at %s: %v", shot, err)
	}
	t.Logf("screenshot: %s", shot)
}

// The status page at a phone's width (390 CSS pixels) in headless
// Chromium: nothing is wider than the screen, so nothing is cut off or
// needs scrolling sideways, and every error is shown. A feed that is
// missing, named by a long path, gives a long feed name and error.
func TestStatusPageOnPhone(t *testing.T) {
	browser := lookChromium(t)
	dir := t.TempDir()
	missing := strings.Repeat("afeedthatmovedaway", 6) + ".xml"
	cfg := writeKimDemo(t, dir, missing)
	run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, io.Discard) // exit 1: a feed failed
	loaded, err := loadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	addr := loaded.Server.Listen
	startDaemon(t, cfg, addr)

	cctx, ccancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer ccancel()
	page := devtools(t, cctx, browser, filepath.Join(dir, "chromium"))
	page.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": true})
	page.navigate("http://" + addr + "/status")
	var layout struct {
		Result struct {
			Result struct {
				Value struct {
					Viewport, Content float64
					Errors            []struct {
						Text                string
						Left, Right, Height float64
					}
				}
			}
		}
	}
	page.call("Runtime.evaluate", map[string]any{"returnByValue": true, "expression": `({
		viewport: document.documentElement.clientWidth,
		content: document.documentElement.scrollWidth,
		errors: [...document.querySelectorAll(".err")].map(e => {
			const r = e.getBoundingClientRect();
			return {text: e.textContent, left: r.left, right: r.right, height: r.height};
		}),
	})`}, &layout)
	v := layout.Result.Result.Value
	if v.Viewport != 390 {
		t.Fatalf("the page is %v pixels wide, want 390", v.Viewport)
	}
	if v.Content > v.Viewport {
		t.Errorf("at 390 pixels the status page is %v pixels wide: it overflows sideways", v.Content)
	}
	var shown bool
	for _, e := range v.Errors {
		if !strings.Contains(e.Text, missing) {
			continue
		}
		shown = true
		if e.Height == 0 || e.Left < 0 || e.Right > v.Viewport {
			t.Errorf("the error %q is not shown whole on the screen: from %v to %v, %v high", e.Text, e.Left, e.Right, e.Height)
		}
	}
	if !shown {
		t.Errorf("the status page shows no error for the missing feed: %+v", v.Errors)
	}
}

// lookChromium finds Chromium, or skips the test outside CI.
func lookChromium(t *testing.T) string {
	t.Helper()
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs it")
		}
		t.Skip("chromium is not installed")
	}
	return browser
}

// writeKimDemo copies the Kim demo into dir, listening on a free port, with
// a first feed at the path extra when it is not "", and returns its config.
func writeKimDemo(t *testing.T, dir, extra string) string {
	t.Helper()
	for _, name := range append(append([]string{}, kimFeeds...), "config.yaml") {
		data, err := os.ReadFile(filepath.Join("../../testdata/kim", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "config.yaml" {
			if extra != "" {
				data = []byte(strings.Replace(string(data), "feeds:\n", "feeds:\n  - url: "+extra+"\n", 1))
			}
			data = append(data, []byte("server:\n  listen: "+freeAddr(t)+"\nfetch:\n  jitter: 0s\n")...)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "config.yaml")
}

// devtoolsPage is a tab of a headless Chromium driven over the DevTools
// protocol, through a pipe (--remote-debugging-pipe): the page itself runs
// no script.
type devtoolsPage struct {
	t       *testing.T
	in      io.Writer
	out     *bufio.Reader
	session string
	id      int
}

func devtools(t *testing.T, ctx context.Context, browser, profile string) *devtoolsPage {
	t.Helper()
	toBrowser, in, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	out, fromBrowser, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile, "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser} // fds 3 and 4
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	toBrowser.Close()
	fromBrowser.Close()
	t.Cleanup(func() {
		in.Close()
		cmd.Process.Kill()
		cmd.Wait()
		out.Close()
		if t.Failed() {
			t.Logf("chromium's stderr:\n%s", stderr.String())
		}
	})
	p := &devtoolsPage{t: t, in: in, out: bufio.NewReader(out)}
	var target struct{ Result struct{ TargetID string } }
	p.call("Target.createTarget", map[string]any{"url": "about:blank"}, &target)
	var attached struct{ Result struct{ SessionID string } }
	p.call("Target.attachToTarget", map[string]any{"targetId": target.Result.TargetID, "flatten": true}, &attached)
	p.session = attached.Result.SessionID
	return p
}

// call sends a command to the page (to the browser before it is attached)
// and decodes its answer into each of into.
func (p *devtoolsPage) call(method string, params map[string]any, into ...any) {
	p.t.Helper()
	p.id++
	msg := map[string]any{"id": p.id, "method": method, "params": params}
	if p.session != "" {
		msg["sessionId"] = p.session
	}
	b, err := json.Marshal(msg)
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.in.Write(append(b, 0)); err != nil {
		p.t.Fatalf("devtools %s: %v", method, err)
	}
	for {
		raw := p.read(method)
		var head struct {
			ID    int
			Error *struct{ Message string }
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			p.t.Fatalf("devtools %s: %v", method, err)
		}
		if head.ID != p.id {
			continue // an event, or another answer
		}
		if head.Error != nil {
			p.t.Fatalf("devtools %s: %s", method, head.Error.Message)
		}
		for _, v := range into {
			if err := json.Unmarshal(raw, v); err != nil {
				p.t.Fatalf("devtools %s: %v", method, err)
			}
		}
		return
	}
}

// navigate loads url in the page and waits until it has loaded.
func (p *devtoolsPage) navigate(url string) {
	p.t.Helper()
	p.call("Page.enable", map[string]any{})
	p.call("Page.navigate", map[string]any{"url": url})
	for {
		var ev struct{ Method string }
		if err := json.Unmarshal(p.read("Page.navigate"), &ev); err != nil {
			p.t.Fatal(err)
		}
		if ev.Method == "Page.loadEventFired" {
			return
		}
	}
}

func (p *devtoolsPage) read(method string) []byte {
	p.t.Helper()
	raw, err := p.out.ReadBytes(0)
	if err != nil {
		p.t.Fatalf("devtools %s: %v", method, err)
	}
	return raw[:len(raw)-1]
}
