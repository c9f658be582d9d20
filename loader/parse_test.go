package loader

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/progress"
)

// textSource serves one text for every file.
type textSource string

func (s textSource) text(context.Context, string) (string, error) { return string(s), nil }
func (s textSource) fetch(context.Context, string, progress.Reporter) (*os.File, string, error) {
	return nil, "", os.ErrNotExist
}
func (textSource) local() bool    { return true }
func (textSource) String() string { return "text" }

func TestListWikis(t *testing.T) {
	got, err := listWikis(context.Background(), textSource("cswiki\r\n\nelwikivoyage\nbad wiki\nzh_min_nanwiki\nbat-smgwiki\n"))
	if err != nil || strings.Join(got, " ") != "cswiki elwikivoyage zh_min_nanwiki bat-smgwiki" {
		t.Fatalf("%q %v", got, err)
	}
}

func FuzzListWikis(f *testing.F) {
	f.Add("cswiki\nelwikivoyage\r\n")
	f.Fuzz(func(t *testing.T, text string) {
		wikis, err := listWikis(context.Background(), textSource(text))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range wikis {
			if !wikiListLine.MatchString(w) || !strings.Contains(text, w) {
				t.Fatalf("%q listed from %q", w, text)
			}
		}
	})
}
