package checksum

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSidecarRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.sql.gz")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := WriteFor(p)
	if err != nil {
		t.Fatal(err)
	}
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if sum != want {
		t.Fatalf("sum = %s, want %s", sum, want)
	}
	b, err := os.ReadFile(p + Ext)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != want+"  x.sql.gz\n" {
		t.Fatalf("sidecar = %q", got)
	}
	if err := Verify(p + Ext); err != nil {
		t.Fatal(err)
	}
	if sha, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command(sha, "-c", "x.sql.gz"+Ext)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sha256sum -c: %v\n%s", err, out)
		}
	}
	if err := os.WriteFile(p, []byte("abd"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Verify(p + Ext); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Verify after change = %v, want ErrMismatch", err)
	}
	os.Remove(p)
	if err := Verify(p + Ext); err == nil {
		t.Fatal("Verify with missing file succeeded")
	}
}

func TestReadSidecarErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"empty":     "",
		"short":     "abc  f\n",
		"nohex":     "zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  f\n",
		"noname":    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n",
		"onlyspace": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  \n",
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name+Ext)
			os.WriteFile(p, []byte(content), 0o644)
			if _, _, err := ReadSidecar(p); err == nil {
				t.Errorf("ReadSidecar(%q) succeeded", content)
			}
		})
	}
}

func TestVerifyPaths(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "w")
	os.MkdirAll(sub, 0o755)
	for _, n := range []string{"a.gz", "b.gz"} {
		os.WriteFile(filepath.Join(sub, n), []byte(n), 0o644)
		if _, err := WriteFor(filepath.Join(sub, n)); err != nil {
			t.Fatal(err)
		}
	}
	if rs := VerifyPaths([]string{dir}); len(rs) != 2 || rs[0].Err != nil || rs[1].Err != nil {
		t.Fatalf("VerifyPaths = %+v", rs)
	}
	os.WriteFile(filepath.Join(sub, "b.gz"), []byte("changed"), 0o644)
	rs := VerifyPaths([]string{sub, filepath.Join(dir, "missing.checksum"), t.TempDir()})
	if len(rs) != 4 || rs[0].Err != nil || !errors.Is(rs[1].Err, ErrMismatch) || rs[2].Err == nil || rs[3].Err == nil {
		t.Fatalf("VerifyPaths = %+v", rs)
	}
	// A sidecar naming a compressed file beside it.
	os.WriteFile(filepath.Join(dir, "x.sqlite.gz"), []byte("gz"), 0o644)
	sum, _ := File(filepath.Join(dir, "x.sqlite.gz"))
	if err := WriteSidecarNamed(filepath.Join(dir, "x.sqlite.checksum"), "x.sqlite.gz", sum); err != nil {
		t.Fatal(err)
	}
	if err := Verify(filepath.Join(dir, "x.sqlite.checksum")); err != nil {
		t.Fatal(err)
	}
}

// A file that is not a sidecar (a password file, a dataset given by mistake) is refused
// without its content reaching the message.
func TestReadSidecarDoesNotPrintTheFile(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"secret":  "root:x:0:0:root:/root:/bin/bash\n",
		"big":     string(make([]byte, 1<<20)),
		"oneline": "SECRETSECRET",
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			os.WriteFile(p, []byte(content), 0o644)
			_, _, err := ReadSidecar(p)
			if !errors.Is(err, ErrNotSidecar) {
				t.Fatalf("ReadSidecar: %v, want ErrNotSidecar", err)
			}
			if strings.Contains(err.Error(), "root:") || strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "\\x00") {
				t.Errorf("the message shows the file's content: %v", err)
			}
		})
	}
}
