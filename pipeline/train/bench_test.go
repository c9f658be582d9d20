package train

import (
	"context"
	"os"
	"testing"
)

// BenchmarkReadTraining reads the file named by ADDLINK_BENCH_TRAINING (e.g. the output of
// bench/gensynth); it is skipped without it.
func BenchmarkReadTraining(b *testing.B) {
	path := os.Getenv("ADDLINK_BENCH_TRAINING")
	if path == "" {
		b.Skip("ADDLINK_BENCH_TRAINING not set")
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ReadTrainingFile(path, 2); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRun trains on the file named by ADDLINK_BENCH_TRAINING with a 33% hold-out and
// 2 threads; it is skipped without it.
func BenchmarkRun(b *testing.B) {
	path := os.Getenv("ADDLINK_BENCH_TRAINING")
	if path == "" {
		b.Skip("ADDLINK_BENCH_TRAINING not set")
	}
	opts := DefaultOptions()
	opts.TrainingFile, opts.ModelOut = path, b.TempDir()+"/model.json"
	opts.Params.Threads = 2
	opts.Refit = false // train once, as the comparison with XGBoost's fit does
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Run(context.Background(), opts, nil); err != nil {
			b.Fatal(err)
		}
	}
}
