package dictionaries

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/wikitext"
)

// TestCancelWhileReadingHugePage: a stage cancelled while its workers read one huge
// page of unclosed markup returns promptly with the context's error. The time it takes
// to stop is measured against the time reading the page takes (in the same test), so
// the test holds on a slow or busy machine: before the context was checked inside a
// page, it ran on for the whole page.
func TestCancelWhileReadingHugePage(t *testing.T) {
	huge := strings.Repeat("{{d [[a|b ''c <ref>", 1<<18) // 5 MB
	start := time.Now()
	wikitext.StripCode(huge)
	read := time.Since(start)

	dump := writeDump(t, "enwiki.xml", pageXML(1, "Small", "[[Huge]] text."), pageXML(2, "Huge", huge))
	o := Options{Wiki: "enwiki", DataDir: t.TempDir(), Dumps: []string{dump}, Threads: 1}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, o, nil)
		done <- err
	}()
	time.Sleep(read / 3) // well inside the page
	cancelled := time.Now()
	cancel()
	select {
	case err := <-done:
		stop := time.Since(cancelled)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v, want context.Canceled", err)
		}
		if stop > read/4 {
			t.Errorf("stopped %v after the cancellation; reading the page takes %v", stop, read)
		}
	case <-time.After(30 * read):
		t.Fatalf("Run still going %v after the cancellation (reading the page takes %v)", 30*read, read)
	}
}

var refPattern = regexp.MustCompile(`<ref[^>]*>[^<]+</ref>`)

// FuzzReplaceRefs holds the ref replacement, which remembers the '>' and '<' it found
// ahead, to the reference's regular expression.
func FuzzReplaceRefs(f *testing.F) {
	for _, s := range []string{"a<ref>x</ref>b", "<ref <ref a>b</ref>", "<ref>a <ref>b</ref>", "<ref><ref>x</ref>", "<ref name=a/>text</ref>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := replaceRefs(s), refPattern.ReplaceAllString(s, "."); got != want {
			t.Fatalf("replaceRefs(%q) = %q, want %q", s, got, want)
		}
	})
}
