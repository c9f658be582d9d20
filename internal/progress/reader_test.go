package progress

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
)

type counter struct{ n atomic.Int64 }

func (c *counter) Phase(string, int64, string) {}
func (c *counter) Add(n int64)                 { c.n.Add(n) }
func (c *counter) Note(string)                 {}

func TestReader(t *testing.T) {
	var c counter
	b, err := io.ReadAll(Reader(context.Background(), strings.NewReader("twelve bytes"), &c))
	if err != nil || string(b) != "twelve bytes" || c.n.Load() != 12 {
		t.Errorf("read %q %v, counted %d", b, err, c.n.Load())
	}
	if b, err := io.ReadAll(Reader(context.Background(), strings.NewReader("no reporter"), nil)); err != nil || string(b) != "no reporter" {
		t.Errorf("without a reporter: %q %v", b, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Reader(ctx, strings.NewReader("x"), nil).Read(make([]byte, 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %v, want context.Canceled", err)
	}
}
