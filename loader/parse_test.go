package loader

import (
	"context"
	"log/slog"
	"net"
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

// Issue 27, item 4: the MySQL driver's messages go to the load's log (text or JSON),
// not to stderr in the driver's own format.
func TestDriverMessagesInTheLog(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // a server that hangs up on every connection
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	var logs strings.Builder
	o := Options{WikiID: "xxwiki", Path: t.TempDir(), DSN: "root@tcp(" + ln.Addr().String() + ")/mwaddlink",
		Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	if _, err := Run(context.Background(), o); err == nil {
		t.Fatal("no error from a server that hangs up")
	}
	if !strings.Contains(logs.String(), `"msg":"mysql driver"`) {
		t.Fatalf("no driver message in the log:\n%s", logs.String())
	}
}
