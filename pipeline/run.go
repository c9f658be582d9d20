package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/progress"
)

// Config is what the stages of one run share.
type Config struct {
	Wiki     string
	DataDir  string
	Dumps    []string // explicit dump files; empty means discover them under DumpsDir
	DumpsDir string
	Threads  int
	Seed     int64
	Version  string // program version, recorded in manifests
	// AllowWikiMismatch reads dumps whose <dbname> or file name names another wiki.
	AllowWikiMismatch bool
	// Features is "extended" for the model with extended features (StagesFor); ""
	// or "reference" for the reference's six.
	Features string
	// Embeddings is the embeddings stage's method: "" or "skipgram" (the default),
	// or "graph".
	Embeddings string
}

// Layout returns the artifact names of the run's wiki.
func (c *Config) Layout() datasets.Layout { return datasets.Layout{DataDir: c.DataDir, Wiki: c.Wiki} }

// Stage is one node of the stage graph. The graph is the order of the slice: a stage
// reads only files written by stages before it or given by the user.
type Stage struct {
	Name string
	// Inputs lists the files the stage reads. Files under the data directory are
	// identified by content; others (dumps) by size and modification time.
	Inputs func(cfg *Config) ([]string, error)
	// Outputs lists the files the stage writes.
	Outputs func(cfg *Config) []string
	// Params returns the parameters that change the outputs.
	Params func(cfg *Config) map[string]string
	// Skip, when set, returns a reason why the stage does not apply to this run.
	Skip func(cfg *Config) string
	// Run does the work. It writes outputs only under temporary names until it succeeds.
	Run func(ctx context.Context, cfg *Config, p progress.Reporter) error
}

// State is a stage's state in `addlink status`.
type State struct {
	Stage  string
	Status string // "current", "stale", "missing", "skipped" or "no dump" (its dump is not found)
	Reason string
}

// ManifestPath is where a stage's manifest is kept.
func ManifestPath(cfg *Config, stage string) string {
	return filepath.Join(cfg.Layout().Dir(), "manifests", stage+".json")
}

// hashInput reports whether an input is identified by content (our own artifacts).
func hashInput(cfg *Config) func(string) bool {
	root, err := filepath.Abs(cfg.Layout().Dir())
	return func(p string) bool {
		if err != nil {
			return false
		}
		ap, err := filepath.Abs(p)
		return err == nil && strings.HasPrefix(ap, root+string(filepath.Separator))
	}
}

func params(cfg *Config, s *Stage) map[string]string {
	if s.Params == nil {
		return map[string]string{}
	}
	return s.Params(cfg)
}

// Inspect returns the state of every stage without running anything.
func Inspect(cfg *Config, stages []Stage) []State {
	out := make([]State, 0, len(stages))
	for i := range stages {
		s := &stages[i]
		if s.Skip != nil {
			if why := s.Skip(cfg); why != "" {
				out = append(out, State{s.Name, "skipped", why})
				continue
			}
		}
		m, err := ReadManifest(ManifestPath(cfg, s.Name))
		if err != nil {
			out = append(out, State{s.Name, "stale", err.Error()})
			continue
		}
		if m == nil {
			out = append(out, State{s.Name, "missing", "never run"})
			continue
		}
		inputs, err := s.Inputs(cfg)
		if errors.Is(err, dump.ErrNotFound) {
			// Not stale: nothing says the dump changed, it is not where it was looked for.
			out = append(out, State{s.Name, "no dump", err.Error()})
			continue
		}
		if err != nil {
			out = append(out, State{s.Name, "stale", err.Error()})
			continue
		}
		if st := m.Check(cfg.Version, params(cfg, s), inputs); !st.Current() {
			out = append(out, State{s.Name, "stale", st.Reason})
			continue
		}
		out = append(out, State{s.Name, "current", ""})
	}
	return out
}

// StageError is the error of a run that stopped in a stage: the stage failed, or the
// run was interrupted while (or before) running it.
type StageError struct {
	Stage string
	Err   error
}

func (e *StageError) Error() string {
	msg := e.Err.Error()
	if strings.HasPrefix(msg, e.Stage+": ") {
		return msg
	}
	return e.Stage + ": " + msg
}

func (e *StageError) Unwrap() error { return e.Err }

// RunOptions selects which stages of the graph a run executes.
type RunOptions struct {
	From, To string // first and last stage to consider; "" means the ends of the graph
	Force    bool   // run the selected stages even when current
}

// StageResult is what a run did with one stage.
type StageResult struct {
	Stage   string
	Action  string // "ran", "current" or "skipped"
	Reason  string
	Seconds float64
}

// Run executes the selected stages in order, skipping those whose manifest is current.
// A stage that ran gets a new manifest only after it succeeded. Run returns on the first
// error or when ctx is cancelled; finished artifacts stay intact.
func Run(ctx context.Context, cfg *Config, stages []Stage, opts RunOptions, p progress.Reporter) ([]StageResult, error) {
	p = progress.OrNop(p)
	first, last, err := opts.selection(stages)
	if err != nil {
		return nil, err
	}
	var results []StageResult
	// rebuilt holds the outputs of the stages that ran in this run: a stage reading one
	// of them runs again too, even when the new file has the same bytes.
	rebuilt := map[string]bool{}
	for i := first; i <= last; i++ {
		s := &stages[i]
		if err := ctx.Err(); err != nil {
			return results, &StageError{Stage: s.Name, Err: err}
		}
		if s.Skip != nil {
			if why := s.Skip(cfg); why != "" {
				p.Note(fmt.Sprintf("%s: skipped (%s)", s.Name, why))
				results = append(results, StageResult{Stage: s.Name, Action: "skipped", Reason: why})
				continue
			}
		}
		inputs, err := s.Inputs(cfg)
		if err != nil {
			return results, &StageError{Stage: s.Name, Err: err}
		}
		par := params(cfg, s)
		reason := "forced"
		if !opts.Force {
			m, err := ReadManifest(ManifestPath(cfg, s.Name))
			if err != nil {
				return results, &StageError{Stage: s.Name, Err: err}
			}
			st := m.Check(cfg.Version, par, inputs)
			reason = st.Reason
			if st.Current() {
				for _, in := range inputs {
					if rebuilt[in] {
						reason = "input " + filepath.Base(in) + " was rebuilt in this run"
						break
					}
				}
			}
			if reason == "" {
				p.Note(fmt.Sprintf("%s: current, skipped", s.Name))
				results = append(results, StageResult{Stage: s.Name, Action: "current"})
				continue
			}
		}
		p.Note(fmt.Sprintf("%s: running (%s)", s.Name, reason))
		start := time.Now()
		ins, err := Identify(inputs, hashInput(cfg))
		if err != nil {
			return results, &StageError{Stage: s.Name, Err: err}
		}
		err = s.Run(ctx, cfg, progress.WithPrefix(p, s.Name))
		// The stage's last progress line is printed now, before anything of the next
		// stage or the run's summary.
		progress.End(p)
		if err != nil {
			return results, &StageError{Stage: s.Name, Err: err}
		}
		outs, err := Identify(s.Outputs(cfg), func(string) bool { return true })
		if err != nil {
			return results, &StageError{Stage: s.Name, Err: fmt.Errorf("output: %w", err)}
		}
		for _, o := range s.Outputs(cfg) {
			rebuilt[o] = true
		}
		m := &Manifest{Stage: s.Name, Version: cfg.Version, Params: par, Inputs: ins, Outputs: outs}
		if err := WriteManifest(ManifestPath(cfg, s.Name), m); err != nil {
			return results, &StageError{Stage: s.Name, Err: err}
		}
		results = append(results, StageResult{Stage: s.Name, Action: "ran", Reason: reason, Seconds: time.Since(start).Seconds()})
	}
	return results, nil
}

// Validate checks that From and To name stages of the graph, in order: a mistake in
// the command line, found before anything runs.
func (o RunOptions) Validate(stages []Stage) error {
	_, _, err := o.selection(stages)
	return err
}

// selection returns the indices of the first and last stage the options select.
func (o RunOptions) selection(stages []Stage) (first, last int, err error) {
	first, last = 0, len(stages)-1
	for i, s := range stages {
		if s.Name == o.From {
			first = i
		}
		if s.Name == o.To {
			last = i
		}
	}
	if err := checkStageName(stages, o.From); err != nil {
		return 0, 0, err
	}
	if err := checkStageName(stages, o.To); err != nil {
		return 0, 0, err
	}
	if first > last {
		return 0, 0, fmt.Errorf("pipeline: --from %s comes after --to %s", o.From, o.To)
	}
	return first, last, nil
}

func checkStageName(stages []Stage, name string) error {
	if name == "" {
		return nil
	}
	names := make([]string, len(stages))
	for i, s := range stages {
		if s.Name == name {
			return nil
		}
		names[i] = s.Name
	}
	return fmt.Errorf("pipeline: no stage %q (stages: %s)", name, strings.Join(names, ", "))
}
