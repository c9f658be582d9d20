package checksum

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestParseDigest(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	for _, c := range []struct{ text, want, err string }{
		{sum + "  lr_w_anchors.sql.gz\n", sum, ""},
		{strings.ToUpper(sum) + " *x\r\n", sum, ""},
		{sum, sum, ""}, // the reference would fail on a single field; the digest is all we need
		{"", "", "not a sha256 checksum line"},
		{sum[:63] + "  x", "", "not a sha256 checksum line"},
		{strings.Repeat("zz", 32) + "  x", "", "not a sha256 checksum"},
	} {
		got, err := ParseDigest("f.checksum", c.text)
		if got != c.want || (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("ParseDigest(%q) = %q, %v; want %q, %q", c.text, got, err, c.want, c.err)
		}
	}
}

func FuzzParseDigest(f *testing.F) {
	f.Add(strings.Repeat("0f", 32) + "  name\n")
	f.Add("x")
	f.Fuzz(func(t *testing.T, text string) {
		sum, err := ParseDigest("f", text)
		if err == nil && (!hex64.MatchString(sum) || !strings.EqualFold(strings.Fields(text)[0], sum)) {
			t.Fatalf("ParseDigest(%q) = %q", text, sum)
		}
	})
}

func TestReadDigest(t *testing.T) {
	dir := t.TempDir()
	sum := strings.Repeat("0f", 32)
	p := filepath.Join(dir, "x.checksum")
	if err := WriteSidecar(filepath.Join(dir, "x"), sum); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadDigest(p); err != nil || got != sum {
		t.Errorf("ReadDigest = %q, %v; want %q", got, err, sum)
	}
	if _, err := ReadDigest(filepath.Join(dir, "none.checksum")); !os.IsNotExist(err) {
		t.Errorf("missing sidecar: %v, want not-exist", err)
	}
	os.WriteFile(p, []byte("not a digest\n"), 0o644)
	if _, err := ReadDigest(p); err == nil {
		t.Error("ReadDigest accepted a line without a digest")
	}
}
