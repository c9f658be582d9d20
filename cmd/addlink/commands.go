package main

import "github.com/urfave/cli/v2"

// commands lists the subcommands in the order `addlink --help` shows them. Each says
// whether it holds the wiki directory's lock: a command that writes under
// <data-dir>/<wiki>/ (or, as publish does, reads a set that export replaces) is
// locked(...), the others unlocked(...), so a new command cannot be added without
// deciding.
func commands() []*cli.Command {
	return declared(
		locked(newRunCommand()),
		unlocked(newStatusCommand()),
		locked(newDictionariesCommand()),
		locked(newWDPropertiesCommand()),
		locked(newFilterCommand()),
		locked(newEmbeddingsCommand()),
		locked(newSentencesCommand()),
		locked(newLinkGraphCommand()),
		locked(newFeaturesCommand()),
		locked(newTrainCommand()),
		locked(newBacktestCommand()),
		unlocked(newMultilingualCommand()),
		unlocked(newCompareCommand()),
		unlocked(newQueryCommand()),
		unlocked(newServeCommand()),
		unlocked(newFollowCommand()),
		unlocked(newReviewCommand()),
		unlocked(newLearnCommand()),
		locked(newExportCommand()),
		locked(newPublishCommand()),
		unlocked(newUnpublishCommand()),
		unlocked(newLoadCommand()),
		unlocked(newVerifyCommand()),
		unlocked(newCatCommand()),
		unlocked(newSynthCommand()),
	)
}

// lockDecision is a command with its locking declared.
type lockDecision struct {
	cmd  *cli.Command
	lock bool
}

// locked declares that c holds the lock of <data-dir>/<wiki>/ while it runs and first
// removes the temporary files that killed runs left there (lockWiki).
func locked(c *cli.Command) lockDecision { return lockDecision{c, true} }

// unlocked declares that c writes nothing under <data-dir>/<wiki>/.
func unlocked(c *cli.Command) lockDecision { return lockDecision{c, false} }

// declared wraps the locked commands' actions with lockWiki and returns the commands.
func declared(ds ...lockDecision) []*cli.Command {
	out := make([]*cli.Command, len(ds))
	for i, d := range ds {
		if d.lock && d.cmd.Action != nil {
			d.cmd.Action = lockWiki(d.cmd.Name, d.cmd.Action)
		}
		out[i] = d.cmd
	}
	return out
}
