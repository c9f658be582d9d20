package linker

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/addlink/addlink/internal/gbdt"
)

// TestCheckV2ModelFile: only a seven-input model without feature names is a v2 model
// (what export and publish --multilingual accept); a six-input or extended model is
// refused with ErrNotV2Model, a file that is not a model with another error.
func TestCheckV2ModelFile(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		nf    int
		names []string
		v2    bool
	}{
		{7, nil, true},
		{6, nil, false},
		{3, []string{"ngram", "freq", "linkprob"}, false},
	} {
		b, err := (&gbdt.Model{NumFeature: c.nf, FeatureNames: c.names, BaseScore: 0.5}).MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "m.json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		err = CheckV2ModelFile(p)
		if c.v2 && err != nil || !c.v2 && !errors.Is(err, ErrNotV2Model) {
			t.Errorf("%d inputs %v: %v", c.nf, c.names, err)
		}
	}
	p := filepath.Join(dir, "not.json")
	os.WriteFile(p, []byte(`{"learner":{}}`), 0o644)
	if err := CheckV2ModelFile(p); err == nil || errors.Is(err, ErrNotV2Model) {
		t.Errorf("not a model: %v", err)
	}
}
