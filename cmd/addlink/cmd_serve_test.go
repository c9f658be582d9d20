package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/testfixtures"
)

// elData is a data directory holding the reference's elwikivoyage export.
func elData(t *testing.T) string {
	dir := t.TempDir()
	if err := os.Symlink(testfixtures.Path(t, "reference/elwikivoyage/export"), filepath.Join(dir, "elwikivoyage")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// captureStdout runs f with os.Stdout going to a pipe and returns what it wrote.
func captureStdout(t *testing.T, f func() error) (string, error) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() { b, _ := io.ReadAll(r); done <- string(b) }()
	ferr := f()
	os.Stdout = old
	w.Close()
	return <-done, ferr
}

func TestQueryCommand(t *testing.T) {
	data := elData(t)
	text := "Η Αθήνα είναι πρωτεύουσα της Ελλάδας και η Μακεδονία."
	mw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("titles") != "Αθήνα" {
			fmt.Fprint(w, `{"query":{"pages":[{"missing":true}]}}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"query": map[string]any{"pages": []any{map[string]any{"pageid": 5,
			"revisions": []any{map[string]any{"revid": 7, "slots": map[string]any{"main": map[string]any{"content": text}}}}}}}})
	}))
	defer mw.Close()
	t.Setenv("MEDIAWIKI_API_BASE_URL", mw.URL+"/w/")
	t.Setenv("DB_BACKEND", "sqlite")
	wt := filepath.Join(t.TempDir(), "page.wikitext")
	os.WriteFile(wt, []byte(text), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
		err  string
	}{
		{"fetched like the reference's CLI", []string{"--project", "wikivoyage", "--wiki-domain", "el", "--page-title", "Αθήνα", "--threshold", "0.1"},
			`"link_target":"Μακεδονία"`, ""},
		{"fetched: page and revision ids from MediaWiki", []string{"--project", "wikivoyage", "--wiki-domain", "el", "--page-title", "Αθήνα"},
			`"page_title":"Αθήνα","pageid":5,"revid":7}` + "\n", ""},
		{"given wikitext", []string{"--wiki", "elwikivoyage", "--title", "Αθήνα", "--wikitext-file", wt, "--revid", "3"},
			`"page_title":"Αθήνα","pageid":72,"revid":3}` + "\n", ""},
		{"missing page", []string{"--project", "wikivoyage", "--wiki-domain", "el", "--page-title", "Nope"}, "", "Page not found: Nope"},
		{"no model", []string{"--wiki-domain", "foo", "--page-title", "Bar"}, "", "no data directory for foowiki"},
		{"both namings", []string{"--wiki", "elwikivoyage", "--wiki-domain", "el", "--page-title", "X"}, "", "either --wiki"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := captureStdout(t, func() error {
				return newApp().Run(append([]string{"addlink", "query", "--data-dir", data, "--quiet"}, tc.args...))
			})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, tc.want) || !strings.HasPrefix(out, `{"links":[`) {
				t.Errorf("output %s, want %s", out, tc.want)
			}
		})
	}
}

func TestServeCommand(t *testing.T) {
	data := elData(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("DB_BACKEND", "sqlite")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- newApp().RunContext(ctx, []string{"addlink", "serve", "--listen", addr, "--data-dir", data, "--log-level", "error"})
	}()
	var resp *http.Response
	for i := 0; i < 100; i++ {
		if resp, err = http.Post("http://"+addr+"/v1/linkrecommendations/wikivoyage/el/Αθήνα", "application/json",
			strings.NewReader(`{"wikitext": "Η Μακεδονία.", "revid": 1, "pageid": 2}`)); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"link_target":"Μακεδονία"`) {
		t.Errorf("%d %s", resp.StatusCode, b)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if err := newApp().Run([]string{"addlink", "serve", "--backend", "oracle"}); exitStatus(err, false) != exitUsage {
		t.Errorf("unknown backend: %v, want a usage error", err)
	}
}

// `addlink serve` run as a user runs it: SIGTERM stops it cleanly with exit status 0
// (not 130: a requested shutdown that completes is a success), and a request in
// progress when the signal arrives still gets its answer.
func TestServeSIGTERMExitsZero(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := addlinkBinary(t)
	data := elData(t)
	for _, inFlight := range []bool{false, true} {
		t.Run(fmt.Sprintf("in-flight=%v", inFlight), func(t *testing.T) {
			cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--backend", "sqlite", "--data-dir", data, "--drain", "500ms")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			var log strings.Builder
			addr := make(chan string, 1)
			copied := make(chan struct{})
			go func() {
				defer close(copied)
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					log.WriteString(sc.Text() + "\n")
					var m struct{ Msg, Addr string }
					if json.Unmarshal(sc.Bytes(), &m) == nil && m.Msg == "listening" {
						addr <- m.Addr
					}
				}
			}()
			var a string
			select {
			case a = <-addr:
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not start listening")
			}
			body := `{"wikitext":"Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.","revid":1,"pageid":2}`
			var conn net.Conn
			if inFlight {
				// Headers and half the body now, the rest after SIGTERM.
				if conn, err = net.Dial("tcp", a); err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				fmt.Fprintf(conn, "POST /v1/linkrecommendations/wikivoyage/el/Test HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:10])
				time.Sleep(300 * time.Millisecond)
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if inFlight {
				time.Sleep(300 * time.Millisecond)
				if _, err := io.WriteString(conn, body[10:]); err != nil {
					t.Fatalf("the server closed the connection of a request in progress: %v", err)
				}
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil {
					t.Fatalf("no answer to the request in progress: %v", err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !strings.Contains(string(b), `"links"`) {
					t.Errorf("request in progress: %d %s", resp.StatusCode, b)
				}
			}
			// All of stderr is read before Wait, which closes the pipe once the process
			// has exited and can lose the last lines (the "stopped" one) otherwise.
			<-copied
			err = cmd.Wait()
			if err != nil {
				t.Fatalf("serve after SIGTERM: %v, want exit status 0\n%s", err, log.String())
			}
			if !strings.Contains(log.String(), `"msg":"draining:`) || !strings.Contains(log.String(), `"msg":"stopped","error":null`) {
				t.Errorf("no clean stop in the log:\n%s", log.String())
			}
		})
	}
}

// --sections-to-exclude takes each occurrence whole: a section title with a comma is
// one title (urfave/cli's slice flags would split it in two, excluding nothing).
func TestQuerySectionsToExcludeKeepsCommas(t *testing.T) {
	data := elData(t)
	t.Setenv("DB_BACKEND", "sqlite")
	const lead = "Η Αθήνα είναι πρωτεύουσα.\n\n"
	wt := filepath.Join(t.TempDir(), "page.wikitext")
	os.WriteFile(wt, []byte(lead+"== Πόλεις, χωριά ==\nΗ Ελλάδα και η Μακεδονία.\n"), 0o644)
	// query returns the number of links whose text is in the lead and in the section.
	query := func(extra ...string) (inLead, inSection int, links []string) {
		t.Helper()
		out, err := captureStdout(t, func() error {
			return newApp().Run(append([]string{"addlink", "query", "--data-dir", data, "--quiet", "--wiki", "elwikivoyage",
				"--title", "Δοκιμή", "--wikitext-file", wt, "--threshold", "0.1"}, extra...))
		})
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Links []struct {
				Text string `json:"link_text"`
			} `json:"links"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		for _, l := range r.Links {
			links = append(links, l.Text)
			if strings.Contains(lead, l.Text) {
				inLead++
			} else {
				inSection++
			}
		}
		return inLead, inSection, links
	}
	if l, s, links := query(); l == 0 || s == 0 {
		t.Fatalf("links %v: want some in the lead and some in the section, or the test proves nothing", links)
	}
	for _, tc := range []struct {
		name          string
		args          []string
		lead, section bool // links expected there
	}{
		{"title with a comma", []string{"--sections-to-exclude", "Πόλεις, χωριά"}, true, false},
		{"= form", []string{"--sections-to-exclude=Πόλεις, χωριά"}, true, false},
		{"repeated", []string{"--sections-to-exclude", "%LEAD%", "--sections-to-exclude", "Πόλεις, χωριά"}, false, false},
		{"the title's first half only", []string{"--sections-to-exclude", "Πόλεις"}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, s, links := query(tc.args...)
			if (l > 0) != tc.lead || (s > 0) != tc.section {
				t.Errorf("links %v (lead %d, section %d), want lead %v, section %v", links, l, s, tc.lead, tc.section)
			}
		})
	}
}
