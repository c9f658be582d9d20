package pipeline

import (
	"context"
	"os"
	"path/filepath"

	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/progress"
	"github.com/addlink/addlink/internal/synth"
	"github.com/addlink/addlink/pipeline/dictionaries"
)

// SampleDump is where the built-in sample wiki's dump is written.
func SampleDump(dataDir string) string {
	return filepath.Join(dataDir, synth.SampleWiki, "dump", synth.SampleWiki+"-sample-pages-articles.xml.gz")
}

// EnsureSample writes the sample wiki's dump unless it exists, and returns its path.
func EnsureSample(dataDir string) (string, error) {
	p := SampleDump(dataDir)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return p, synth.WriteFile(p, synth.SampleOptions())
}

// dumps returns the run's dump files, discovering them when none were given.
func (c *Config) dumps() ([]string, error) {
	if len(c.Dumps) > 0 {
		return c.Dumps, nil
	}
	files, err := dump.Discover(c.DumpsDir, c.Wiki)
	if err != nil {
		return nil, err
	}
	c.Dumps = files
	return files, nil
}

// Stages returns the stage graph in execution order. Stages that are not built yet
// are not listed.
func Stages() []Stage {
	return []Stage{
		{
			Name:   "dictionaries",
			Inputs: func(c *Config) ([]string, error) { return c.dumps() },
			Outputs: func(c *Config) []string {
				l := c.Layout()
				return []string{l.Anchors(), l.AnchorStats(), l.PageIDs(), l.Redirects()}
			},
			Run: func(ctx context.Context, c *Config, p progress.Reporter) error {
				files, err := c.dumps()
				if err != nil {
					return err
				}
				o := dictionaries.Options{Wiki: c.Wiki, DataDir: c.DataDir, Dumps: files, Threads: c.Threads}
				if err := o.Validate(); err != nil {
					return err
				}
				_, err = dictionaries.Run(ctx, o, p)
				return err
			},
		},
	}
}
