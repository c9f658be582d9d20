package datasets

import (
	"encoding/json"
	"fmt"

	"github.com/addlink/addlink/atomicfile"
)

// WriteJSON writes v to path atomically as JSON indented by two spaces, with a final
// newline: the form of the stages' summaries, the run manifest and the export set
// file. A value that cannot be marshalled is an error and nothing is written.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("datasets: %s: %w", path, err)
	}
	_, err = atomicfile.WriteFile(path, append(b, '\n'))
	return err
}

// WriteSummary writes the summary of a stage, s, to l.Summary(stage) with WriteJSON.
func WriteSummary(l Layout, stage string, s any) error {
	return WriteJSON(l.Summary(stage), s)
}
