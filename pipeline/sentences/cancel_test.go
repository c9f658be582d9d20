package sentences

import (
	"context"
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/wikitext"
)

// TestCancelWhileReadingHugePage: Extract cancelled while it reads one huge page of
// unclosed markup returns promptly with the context's error. It is cancelled a quarter
// of the way into reading the page (testHookReading says when the reading starts,
// after the dump's XML has been decoded), and must stop within a second and before
// half the page's reading time has passed, where a reader that did not watch the
// context would need three quarters of it.
func TestCancelWhileReadingHugePage(t *testing.T) {
	huge := strings.Repeat("{{d [[a|b ''c <ref>x. ", 2<<20) // 48 MB: reading it takes long enough that a quarter of it is not scheduling noise
	read := time.Duration(1<<63 - 1)
	for range 2 { // the first reading also grows the heap
		start := time.Now()
		wikitext.LinkedSentences(huge, wikitext.SentenceOptions{}, 1)
		read = min(read, time.Since(start))
	}

	page := func(id int, title, text string) string {
		return fmt.Sprintf("<page><title>%s</title><ns>0</ns><id>%d</id><revision><id>%d</id><text>%s</text></revision></page>\n", title, id, id, html.EscapeString(text))
	}
	dump := filepath.Join(t.TempDir(), "enwiki.xml")
	xml := "<mediawiki>\n" + page(1, "Small", "A [[b]] c d.") + page(2, "Huge", huge) + "</mediawiki>\n"
	if err := os.WriteFile(dump, []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{Wiki: "enwiki", DataDir: t.TempDir(), Dumps: []string{dump}, Threads: 1}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reading := make(chan struct{})
	testHookReading = func(title string) {
		if title == "Huge" {
			close(reading)
		}
	}
	defer func() { testHookReading = nil }()
	done := make(chan error, 1)
	go func() {
		_, _, err := Extract(ctx, o, nil)
		done <- err
	}()
	select {
	case <-reading:
	case err := <-done:
		t.Fatalf("Extract = %v before reading the huge page", err)
	}
	time.Sleep(read / 4)
	cancelled := time.Now()
	cancel()
	select {
	case err := <-done:
		stop := time.Since(cancelled)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Extract = %v, want context.Canceled", err)
		}
		// Within a second (the bound), and in half the time reading the rest
		// of the page (two thirds of it) would take.
		if stop > time.Second || stop >= read/3 {
			t.Errorf("stopped %v after the cancellation; reading the page takes %v", stop, read)
		}
	case <-time.After(30 * read):
		t.Fatalf("Extract still going %v after the cancellation (reading the page takes %v)", 30*read, read)
	}
}
