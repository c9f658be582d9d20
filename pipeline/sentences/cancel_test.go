package sentences

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/wikitext"
)

// TestCancelWhileReadingHugePage: Extract cancelled while it reads one huge page of
// unclosed markup returns promptly with the context's error; the time it takes to stop
// is measured against the time reading the page takes, in the same test.
func TestCancelWhileReadingHugePage(t *testing.T) {
	huge := strings.Repeat("{{d [[a|b ''c <ref>x. ", 1<<20) // 24 MB: reading it takes long enough that a stop within a quarter of it is not scheduling noise
	start := time.Now()
	wikitext.LinkedSentences(huge, wikitext.SentenceOptions{}, 1)
	read := time.Since(start)

	page := func(id int, title, text string) string {
		return fmt.Sprintf("<page><title>%s</title><ns>0</ns><id>%d</id><revision><id>%d</id><text>%s</text></revision></page>\n", title, id, id, text)
	}
	dump := filepath.Join(t.TempDir(), "enwiki.xml")
	xml := "<mediawiki>\n" + page(1, "Small", "A [[b]] c d.") + page(2, "Huge", huge) + "</mediawiki>\n"
	if err := os.WriteFile(dump, []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{Wiki: "enwiki", DataDir: t.TempDir(), Dumps: []string{dump}, Threads: 1}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, _, err := Extract(ctx, o, nil)
		done <- err
	}()
	time.Sleep(read / 3)
	cancelled := time.Now()
	cancel()
	select {
	case err := <-done:
		stop := time.Since(cancelled)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Extract = %v, want context.Canceled", err)
		}
		// Within a second (the bound), and before reading the rest of the page
		// (cancelled a third of the way in) could have ended.
		if stop > time.Second || stop >= read*2/3 {
			t.Errorf("stopped %v after the cancellation; reading the page takes %v", stop, read)
		}
	case <-time.After(30 * read):
		t.Fatalf("Extract still going %v after the cancellation (reading the page takes %v)", 30*read, read)
	}
}
