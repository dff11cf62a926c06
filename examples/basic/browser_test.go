package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium returns the path of the Chromium binary (Debian's package
// chromium). Without one the test is skipped, except in CI, which installs
// it (.ci/run) and must not pass by skipping.
func chromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; .ci/run should have installed it")
	}
	t.Skip("chromium is not installed (apt-get install chromium)")
	return ""
}

// shot is a screenshot taken after a step.
type shot struct {
	name string
	png  []byte
}

// A person's visit, in headless Chromium: sent from / to /login, logs in
// with the form, stays logged in across a reload, logs out. When a step
// fails, the screenshots of every step so far are kept in a folder that the
// test log names.
func TestBrowserLogin(t *testing.T) {
	exe := chromium(t)
	srv := newTestServer(t, testSecret)

	var shots []shot
	t.Cleanup(func() {
		if !t.Failed() || len(shots) == 0 {
			return
		}
		dir, err := os.MkdirTemp("", "basic-browser-")
		if err != nil {
			t.Logf("no folder for the screenshots: %v", err)
			return
		}
		for i, s := range shots {
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d-%s.png", i+1, s.name)), s.png, 0o644)
		}
		t.Logf("screenshots of each step: %s", dir)
	})

	opts := append(chromedp.DefaultExecAllocatorOptions[:], // headless, no first run, no background networking, no sync
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 768),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		// Close the browser and wait for it, before its profile folder is
		// removed.
		c, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer stop()
		chromedp.Cancel(c)
		cancel()
	})

	// The first action starts the browser and binds its life to ctx, so it
	// must not run on a context with a timeout: a watchdog bounds it.
	watchdog := time.AfterFunc(60*time.Second, cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	watchdog.Stop()

	step := func(name string, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, scancel := context.WithTimeout(ctx, timeout)
		err := chromedp.Do(sctx, actions...)
		scancel()
		shotCtx, stop := context.WithTimeout(ctx, 5*time.Second)
		if png, err := chromedp.Run(shotCtx, chromedp.CaptureScreenshot()); err == nil {
			shots = append(shots, shot{name, png})
		}
		stop()
		if err != nil {
			stateCtx, stop := context.WithTimeout(ctx, 5*time.Second)
			state, _ := chromedp.Run(stateCtx, chromedp.Evaluate[string](`location.pathname + " | " + (document.getElementById("status") || document.body).textContent.trim()`))
			stop()
			t.Fatalf("step %q: %v (page: %s)", name, err, state)
		}
	}
	// until waits for a JavaScript condition, evaluating it every 50 ms.
	// Unlike chromedp.Poll, it survives navigations, which destroy the
	// page's context under a running evaluation: an error counts as false.
	until := func(cond string, timeout time.Duration) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			var last error
			for {
				ok, err := chromedp.Evaluate[bool](cond)(ctx, tg)
				if err == nil && ok {
					return chromedp.Void{}, nil
				}
				if err != nil {
					last = err
				}
				select {
				case <-ctx.Done():
					return chromedp.Void{}, fmt.Errorf("waiting for %s: %w (last error: %v)", cond, ctx.Err(), last)
				case <-tick.C:
				}
			}
		}
	}
	const status = `(document.getElementById("status") || {textContent: ""}).textContent`

	step("home-not-logged-in", 15*time.Second,
		chromedp.Navigate(srv.URL+"/"),
		until(status+`.includes("not logged in")`, 5*time.Second),
	)
	step("sent-to-login", 15*time.Second,
		until(`location.pathname === "/login"`, 10*time.Second),
		chromedp.WaitVisible(chromedp.CSS("#name")),
	)
	step("form-filled", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS("#name"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#password"), "1234"),
	)
	step("logged-in", 15*time.Second,
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		until(`location.pathname === "/" && `+status+`.includes("logged in as admin")`, 10*time.Second),
		chromedp.WaitVisible(chromedp.CSS("#logout")),
	)
	step("reloaded", 15*time.Second,
		chromedp.Reload(),
		until(`localStorage.getItem("token") !== null && `+status+`.includes("logged in as admin")`, 10*time.Second),
		chromedp.WaitVisible(chromedp.CSS("#logout")),
	)
	step("logged-out", 15*time.Second,
		chromedp.Click(chromedp.CSS("#logout")),
		until(`location.pathname === "/login" && localStorage.getItem("token") === null`, 10*time.Second),
		chromedp.WaitVisible(chromedp.CSS("#name")),
	)

	// And the home page no longer knows the visitor.
	step("home-after-logout", 15*time.Second,
		chromedp.Navigate(srv.URL+"/"),
		until(status+`.includes("not logged in")`, 5*time.Second),
	)
}
