package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCommitAndAbort(t *testing.T) {
	dir := t.TempDir()
	final := filepath.Join(dir, "sub", "out.txt")
	f, err := Create(final)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("hello"))
	if _, err := os.Stat(final); !os.IsNotExist(err) {
		t.Fatalf("final name exists before Commit: %v", err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // no-op after Commit
	if b, _ := os.ReadFile(final); string(b) != "hello" {
		t.Fatalf("content = %q", b)
	}

	g, err := Create(final)
	if err != nil {
		t.Fatal(err)
	}
	g.Write([]byte("half-written"))
	g.Abort()
	if b, _ := os.ReadFile(final); string(b) != "hello" {
		t.Fatalf("Abort changed the committed file: %q", b)
	}
	entries, _ := os.ReadDir(filepath.Dir(final))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestWriteFileHash(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a")
	sum, err := WriteFile(p, []byte("abc"))
	if err != nil {
		t.Fatal(err)
	}
	if sum != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("sum = %s", sum)
	}
	q := filepath.Join(t.TempDir(), "b")
	if sum2, err := CopyFile(q, p); err != nil || sum2 != sum {
		t.Fatalf("CopyFile = %s, %v", sum2, err)
	}
}

func TestCreateUnhashed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "cache.bin")
	f, err := CreateUnhashed(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("cached")); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "cached" {
		t.Fatalf("read %q, %v", b, err)
	}
}
