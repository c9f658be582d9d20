package procfs

import (
	"os"
	"testing"
)

func TestRSSOfThisProcess(t *testing.T) {
	kb, err := RSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if kb <= 0 {
		t.Fatalf("RSS of this process = %d KB, want a positive size", kb)
	}
	if _, err := RSS(-1); err == nil {
		t.Fatal("RSS(-1) gave no error")
	}
}
