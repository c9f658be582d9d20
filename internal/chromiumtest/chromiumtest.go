// Package chromiumtest drives a headless Chromium (Debian's chromium) from a test
// through the DevTools protocol over a pipe (--remote-debugging-pipe: JSON messages
// ended by a NUL byte on file descriptors 3 and 4), with no WebSocket library and no
// network. A missing browser fails the test in CI (CI=true) and skips it elsewhere,
// through testfixtures.Require. The browser is stopped when the test ends.
package chromiumtest

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/testfixtures"
)

// Path returns the Chromium binary.
func Path() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return exec.LookPath("chromium")
}

// Browser is a running headless Chromium.
type Browser struct {
	t      testing.TB
	cmd    *exec.Cmd
	w      *os.File
	mu     sync.Mutex
	next   int64
	wait   map[int64]chan message
	closed chan struct{}
	err    error
}

type message struct {
	ID     int64           `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
	SessionID string `json:"sessionId,omitempty"`
}

// Start starts a browser for t.
func Start(t testing.TB) *Browser {
	t.Helper()
	testfixtures.Require(t, "Debian's chromium", func() error { _, err := Path(); return err })
	bin, _ := Path()
	r3, w3, err := os.Pipe() // the browser reads commands from fd 3
	if err != nil {
		t.Fatal(err)
	}
	r4, w4, err := os.Pipe() // and writes answers and events to fd 4
	if err != nil {
		t.Fatal(err)
	}
	profile, err := os.MkdirTemp("", "addlink-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
		"--user-data-dir="+profile, "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{r3, w4}
	// A process group of its own: the browser's helper processes are stopped with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r3.Close()
	w4.Close()
	b := &Browser{t: t, cmd: cmd, w: w3, wait: map[int64]chan message{}, closed: make(chan struct{})}
	go b.read(r4)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		b.Call(ctx, "", "Browser.close", map[string]any{}, nil)
		cancel()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		w3.Close()
		r4.Close()
		os.RemoveAll(profile)
	})
	return b
}

// PID is the browser's process id.
func (b *Browser) PID() int { return b.cmd.Process.Pid }

func (b *Browser) read(r *os.File) {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			b.err = fmt.Errorf("chromiumtest: the browser's pipe: %w", err)
			b.mu.Unlock()
			close(b.closed)
			return
		}
		var m message
		if json.Unmarshal(line[:len(line)-1], &m) != nil || m.ID == 0 {
			continue // events are not used
		}
		b.mu.Lock()
		ch := b.wait[m.ID]
		delete(b.wait, m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

// Call sends a command (to a page's session when session is not "") and decodes its
// result into out (when not nil).
func (b *Browser) Call(ctx context.Context, session, method string, params, out any) error {
	p, err := json.Marshal(params)
	if err != nil {
		return err
	}
	ch := make(chan message, 1)
	b.mu.Lock()
	b.next++
	id := b.next
	b.wait[id] = ch
	b.mu.Unlock()
	msg, _ := json.Marshal(message{ID: id, Method: method, Params: p, SessionID: session})
	if _, err := b.w.Write(append(msg, 0)); err != nil {
		return err
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return fmt.Errorf("chromiumtest: %s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		if out != nil {
			return json.Unmarshal(m.Result, out)
		}
		return nil
	case <-b.closed:
		return b.err
	case <-ctx.Done():
		return fmt.Errorf("chromiumtest: %s: %w", method, ctx.Err())
	}
}

// Page is a tab in a browser context of its own (its own cookies and storage, like
// a separate browser).
type Page struct {
	b       *Browser
	session string
}

// NewPage opens url in a new tab of a new browser context.
func (b *Browser) NewPage(ctx context.Context, url string) (*Page, error) {
	var bc struct {
		BrowserContextID string `json:"browserContextId"`
	}
	if err := b.Call(ctx, "", "Target.createBrowserContext", map[string]any{}, &bc); err != nil {
		return nil, err
	}
	var tg struct {
		TargetID string `json:"targetId"`
	}
	if err := b.Call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank", "browserContextId": bc.BrowserContextID}, &tg); err != nil {
		return nil, err
	}
	var at struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.Call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": tg.TargetID, "flatten": true}, &at); err != nil {
		return nil, err
	}
	p := &Page{b: b, session: at.SessionID}
	for _, m := range []string{"Page.enable", "Runtime.enable"} {
		if err := b.Call(ctx, p.session, m, map[string]any{}, nil); err != nil {
			return nil, err
		}
	}
	if err := b.Call(ctx, p.session, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1000, "height": 760, "deviceScaleFactor": 1, "mobile": false}, nil); err != nil {
		return nil, err
	}
	if err := b.Call(ctx, p.session, "Page.navigate", map[string]any{"url": url}, nil); err != nil {
		return nil, err
	}
	return p, nil
}

// Eval evaluates a JavaScript expression in the page (awaiting a promise) and
// decodes its value into out (when not nil). An exception is an error.
func (p *Page) Eval(ctx context.Context, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception *struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := p.b.Call(ctx, p.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r); err != nil {
		return err
	}
	if e := r.ExceptionDetails; e != nil {
		msg := e.Text
		if e.Exception != nil {
			msg += " " + e.Exception.Description
		}
		return errors.New("chromiumtest: " + msg)
	}
	if out != nil && len(r.Result.Value) > 0 {
		return json.Unmarshal(r.Result.Value, out)
	}
	return nil
}

// WaitFor evaluates a boolean expression until it is true or timeout passes.
func (p *Page) WaitFor(ctx context.Context, expr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		err := p.Eval(ctx, "Boolean("+expr+")", &ok)
		if err == nil && ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("still false")
			}
			return fmt.Errorf("chromiumtest: waiting %s for %s: %w", timeout, expr, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// keys maps the named keys a test presses to their code and Windows key code.
var keys = map[string]struct {
	code string
	vk   int
	text string
}{
	"Tab":    {"Tab", 9, ""},
	"Enter":  {"Enter", 13, "\r"},
	"Escape": {"Escape", 27, ""},
}

// Press presses and releases one key as a keyboard would: a named key (Tab, Enter,
// Escape) or one character.
func (p *Page) Press(ctx context.Context, key string) error {
	k, ok := keys[key]
	if !ok {
		r := []rune(key)
		if len(r) != 1 {
			return fmt.Errorf("chromiumtest: unknown key %q", key)
		}
		k.text = key
		k.vk = int(r[0])
		if r[0] >= 'a' && r[0] <= 'z' {
			k.vk = int(r[0] - 'a' + 'A')
			k.code = "Key" + string(r[0]-'a'+'A')
		}
	}
	down := map[string]any{"type": "keyDown", "key": key, "code": k.code, "windowsVirtualKeyCode": k.vk}
	if k.text != "" {
		down["text"] = k.text
	}
	if err := p.b.Call(ctx, p.session, "Input.dispatchKeyEvent", down, nil); err != nil {
		return err
	}
	return p.b.Call(ctx, p.session, "Input.dispatchKeyEvent", map[string]any{"type": "keyUp", "key": key, "code": k.code, "windowsVirtualKeyCode": k.vk}, nil)
}

// Type presses the keys of each character of s.
func (p *Page) Type(ctx context.Context, s string) error {
	for _, r := range s {
		if err := p.Press(ctx, string(r)); err != nil {
			return err
		}
	}
	return nil
}

// Screenshot returns a PNG of the page's viewport.
func (p *Page) Screenshot(ctx context.Context) ([]byte, error) {
	var r struct {
		Data string `json:"data"`
	}
	if err := p.b.Call(ctx, p.session, "Page.captureScreenshot", map[string]any{"format": "png"}, &r); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(r.Data)
}
