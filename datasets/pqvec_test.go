package datasets

import (
	"path/filepath"
	"testing"
)

func TestParquetVectorsManyRows(t *testing.T) {
	var rows []Embedding
	for i := 0; i < 10000; i++ {
		v := make([]float32, 50)
		for j := range v {
			v[j] = float32(i*100 + j)
		}
		rows = append(rows, Embedding{Title: string(rune('a'+i%26)) + string(rune(i)), Vector: v})
	}
	p := filepath.Join(t.TempDir(), "e.parquet")
	if _, err := WriteParquet(p, rows); err != nil {
		t.Fatal(err)
	}
	got, err := ReadParquet[Embedding](p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		for j := range rows[i].Vector {
			if got[i].Vector[j] != rows[i].Vector[j] {
				t.Fatalf("row %d[%d] = %v, want %v", i, j, got[i].Vector[j], rows[i].Vector[j])
			}
		}
	}
}
