package synth

import (
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/addlink/addlink/atomicfile"
)

func writeFile(path string, o Options) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if strings.HasSuffix(path, ".gz") {
		// No name and no modification time in the header: the same options always
		// give the same bytes.
		zw, err := gzip.NewWriterLevel(f, gzip.BestSpeed)
		if err != nil {
			return err
		}
		if err := Write(zw, o); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
	} else if err := Write(f, o); err != nil {
		return err
	}
	return f.Commit()
}
