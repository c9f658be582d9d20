package main

import "github.com/urfave/cli/v2"

// commands lists the subcommands in the order `addlink --help` shows them.
func commands() []*cli.Command {
	return []*cli.Command{
		newRunCommand(),
		newStatusCommand(),
		newDictionariesCommand(),
		newWDPropertiesCommand(),
		newFilterCommand(),
		newEmbeddingsCommand(),
		newSentencesCommand(),
		newLinkGraphCommand(),
		newFeaturesCommand(),
		newTrainCommand(),
		newBacktestCommand(),
		newMultilingualCommand(),
		newCompareCommand(),
		newQueryCommand(),
		newServeCommand(),
		newFollowCommand(),
		newReviewCommand(),
		newLearnCommand(),
		newExportCommand(),
		newPublishCommand(),
		newUnpublishCommand(),
		newLoadCommand(),
		newVerifyCommand(),
		newCatCommand(),
		newSynthCommand(),
	}
}
