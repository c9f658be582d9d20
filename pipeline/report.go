package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/internal/evaluation"
	"github.com/addlink/addlink/pipeline/backtest"
)

// ReportPath is the run report of a wiki: <data-dir>/<wiki>/report.md.
func ReportPath(cfg *Config) string { return filepath.Join(cfg.Layout().Dir(), "report.md") }

// WriteReport writes report.md: what the last run did with each stage, each stage's
// inputs and outputs (sizes and sha256 from its manifest) and the figures of its summary.
func WriteReport(cfg *Config, stages []Stage, results []StageResult) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# addlink run report: %s\n\n", cfg.Wiki)
	fmt.Fprintf(&b, "Program version %s. Data directory `%s`.\n\n", cfg.Version, cfg.Layout().Dir())
	b.WriteString("| stage | this run | seconds | state |\n|---|---|---|---|\n")
	ran := map[string]StageResult{}
	for _, r := range results {
		ran[r.Stage] = r
	}
	for _, st := range Inspect(cfg, stages) {
		r := ran[st.Stage]
		action, secs := r.Action, ""
		if action == "" {
			action = "not selected"
		}
		if r.Action == "ran" {
			secs = fmt.Sprintf("%.2f", r.Seconds)
		}
		state := st.Status
		if st.Reason != "" {
			state += ": " + st.Reason
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", st.Stage, action, secs, escapeCell(state))
	}
	if csv, err := os.ReadFile(cfg.Layout().BacktestEval()); err == nil {
		b.WriteString("\n## Backtest\n\n| threshold | N | micro precision | micro recall |\n|---|---|---|---|\n")
		for i, line := range strings.Split(strings.TrimSpace(string(csv)), "\n") {
			c := strings.Split(line, ",")
			if i == 0 || len(c) != 5 {
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c[1], c[2], orDash(c[3]), orDash(c[4]))
		}
		if _, err := os.Stat(cfg.Layout().BacktestPlot()); err == nil {
			rel, _ := filepath.Rel(cfg.Layout().Dir(), cfg.Layout().BacktestPlot())
			fmt.Fprintf(&b, "\n![precision and recall against the threshold](%s)\n", filepath.ToSlash(rel))
		}
	}
	for _, s := range stages {
		m, err := ReadManifest(ManifestPath(cfg, s.Name))
		if err != nil || m == nil {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n", s.Name)
		if len(m.Params) > 0 {
			keys := make([]string, 0, len(m.Params))
			for k := range m.Params {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			b.WriteString("Parameters:")
			for _, k := range keys {
				fmt.Fprintf(&b, " %s=%s", k, m.Params[k])
			}
			b.WriteString("\n\n")
		}
		b.WriteString("| | file | bytes | sha256 |\n|---|---|---|---|\n")
		for _, f := range m.Inputs {
			fmt.Fprintf(&b, "| input | `%s` | %d | %s |\n", f.Path, f.Size, orDash(f.SHA256))
		}
		for _, f := range m.Outputs {
			fmt.Fprintf(&b, "| output | `%s` | %d | %s |\n", f.Path, f.Size, orDash(f.SHA256))
		}
		if sum := readSummary(cfg, s.Name); sum != "" {
			var bs backtest.Summary
			if s.Name == "backtest" && json.Unmarshal([]byte(sum), &bs) == nil {
				b.WriteString("\n" + evaluation.Markdown(bs))
			}
			b.WriteString("\nSummary (`" + s.Name + ".summary.json`):\n\n```json\n" + sum + "```\n")
		}
	}
	_, err := atomicfile.WriteFile(ReportPath(cfg), []byte(b.String()))
	return err
}

func readSummary(cfg *Config, stage string) string {
	data, err := os.ReadFile(cfg.Layout().Summary(stage))
	if err != nil || !json.Valid(data) {
		return ""
	}
	return string(data)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
