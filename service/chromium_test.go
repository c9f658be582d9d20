package service

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/chromiumtest"
	"github.com/addlink/addlink/internal/testfixtures"
)

// The API page renders its operation list in headless Chromium without console
// errors. With -update it also writes testdata/apidocs.png.
func TestAPIPageInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	testfixtures.Require(t, "Debian's chromium", func() error { _, err := chromiumtest.Path(); return err })
	bin, _ := chromiumtest.Path()
	_, ts := newTestServer(t, Options{})
	run := func(args ...string) (string, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		profile := t.TempDir()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + profile,
			"--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000"}
		cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium: %v\n%s", err, stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	dom, log := run("--dump-dom", ts.URL+"/")
	for _, want := range []string{`data-ready="true"`, `id="getLinkRecommendations"`, `id="getLinkRecommendationsForRevision"`, "/v1/linkrecommendations/{project}/{domain}/{page_title}"} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %s:\n%.2000s", want, dom)
		}
	}
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") {
			t.Errorf("console message: %s", line)
		}
	}
	if *update {
		shot, _ := filepath.Abs(filepath.Join("testdata", "apidocs.png"))
		run("--screenshot="+shot, "--window-size=1100,900", ts.URL+"/apidocs/")
		if st, err := os.Stat(shot); err != nil || st.Size() == 0 {
			t.Errorf("no screenshot: %v", err)
		}
	}
}
