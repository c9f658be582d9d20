package publish

import (
	"errors"
	"testing"

	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/linker"
)

// TestRefusesExtendedModel: a model whose features are not the reference's six is not
// published, whatever put it into the export set; the reference's model is.
func TestRefusesExtendedModel(t *testing.T) {
	model := func(names []string) string {
		m := &gbdt.Model{NumFeature: max(len(names), 6), BaseScore: 0.5, FeatureNames: names,
			Trees: []gbdt.Tree{{Left: []int32{-1}, Right: []int32{-1}, Parent: []int32{-1}, SplitIndex: []int32{0},
				SplitCondition: []float32{0.1}, DefaultLeft: []bool{false}, BaseWeight: []float32{0.1}, LossChange: []float32{0}, SumHessian: []float32{1}}}}
		b, err := m.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	data, root := t.TempDir(), t.TempDir()
	exported(t, data, "xxwiki", model(linker.ExtendedFeatures.Names()))
	if _, err := Publish(Options{Wiki: "xxwiki", DataDir: data, Root: root}); !errors.Is(err, linker.ErrNotServiceModel) {
		t.Fatalf("err = %v, want ErrNotServiceModel", err)
	}
	if got := listDir(t, root); len(got) != 0 {
		t.Fatalf("root holds %v", got)
	}
	exported(t, data, "xxwiki", model(nil))
	if _, err := Publish(Options{Wiki: "xxwiki", DataDir: data, Root: root}); err != nil {
		t.Fatalf("reference model: %v", err)
	}
}
