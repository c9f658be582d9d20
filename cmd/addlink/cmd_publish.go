package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/publish"
)

func publishRootFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: "publish-root", Value: publish.DefaultRoot, EnvVars: []string{"ADDLINK_PUBLISH_ROOT"},
		Usage: "the published tree (`DIR`/<wiki>/ and DIR/wikis.txt)"}
}

func publishRootV2Flag() *cli.StringFlag {
	return &cli.StringFlag{Name: "publish-root-v2", Value: publish.DefaultV2Root, EnvVars: []string{"ADDLINK_PUBLISH_ROOT_V2"},
		Usage: "the published tree of v2 (multilingual) models, the loader's v2 base URL (`DIR`/<wiki>/ and DIR/wikis.txt)"}
}

func newPublishCommand() *cli.Command {
	return &cli.Command{
		Name:  "publish",
		Usage: "publish a wiki's exported datasets for the Link Recommendation service",
		Description: `Checks the export set 'addlink export' wrote in <data-dir>/<wiki>/export/: exactly its
files with their recorded sha256, and made from the datasets and model now in
<data-dir>/<wiki>/ (otherwise it refuses: export again first). Then copies *.sql.gz,
*.sqlite.gz, <wiki>.linkmodel.json and their .checksum files, and a README, to
<publish-root>/<wiki>/, and lists the wiki once in <publish-root>/wikis.txt. Published
files of those kinds that the set lacks are removed; other files are kept. The built-in
sample wiki cannot be published. The new publication replaces the
old one in one atomic step: an interrupted publish leaves the previous one intact.
Publishing again is harmless. --dry-run prints what would change.
A set whose model the Python service cannot load (addlink run --features extended:
extended features and candidate rules, with the datasets they read) goes to
<publish-root>/` + datasets.ExtendedRootName + `/<wiki>/ and its own wikis.txt instead: the
reference's loader and service, which read <publish-root>/wikis.txt, never see it;
addlink load finds it there (see docs/export.md).
--multilingual NAME publishes the set 'addlink export --wiki W --multilingual NAME' wrote
(the wiki's datasets with the v2 model <data-dir>/NAME/NAME.linkmodel.json as
<wiki>.linkmodel.json) to <publish-root-v2>/<wiki>/ and <publish-root-v2>/wikis.txt, the v2
layout the loaders read first (a wiki listed in both trees is loaded from the v2 one). The
v1 tree (--publish-root) is not touched, and a --publish-root-v2 that is the v1 tree or
inside it is refused: a consumer of the v1 layout is never handed a seven-input model.`,
		Flags: []cli.Flag{wikiFlag(true), publishRootFlag(), publishRootV2Flag(),
			&cli.StringFlag{Name: "multilingual", Usage: "publish the wiki with the multilingual model `NAME` in the v2 layout (--publish-root-v2)"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print what would change, change nothing"}},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			o := publish.Options{Wiki: c.String(flagWiki), DataDir: co.DataDir, Root: c.String("publish-root"), DryRun: c.Bool("dry-run")}
			if name := c.String("multilingual"); name != "" {
				o.Multilingual, o.Root, o.V1Root = name, c.String("publish-root-v2"), c.String("publish-root")
			}
			if err := o.Validate(); err != nil {
				return usageError{err}
			}
			plan, err := publish.Publish(o)
			if err != nil {
				return err
			}
			printPlan(plan, o.DryRun)
			return nil
		},
	}
}

func newUnpublishCommand() *cli.Command {
	return &cli.Command{
		Name:  "unpublish",
		Usage: "remove a wiki's published datasets",
		Description: `Removes from <publish-root>/<wiki>/ the kinds of files publish writes (*.sql.gz,
*.sqlite.gz, <wiki>.linkmodel.json, *.checksum, README), keeps and names any other file,
removes the directory only when it is then empty, and delists the wiki from wikis.txt.
Unpublishing a wiki that is not published changes nothing. --dry-run prints what would
change. --extended works on <publish-root>/` + datasets.ExtendedRootName + `/ (the models with
extended features) instead, --v2 on <publish-root-v2> (the v2 layout of publish --multilingual).`,
		Flags: []cli.Flag{wikiFlag(true), publishRootFlag(), publishRootV2Flag(),
			&cli.BoolFlag{Name: "v2", Usage: "unpublish the wiki from the v2 layout (--publish-root-v2)"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print what would change, change nothing"},
			&cli.BoolFlag{Name: "extended", Usage: "unpublish the wiki's model with extended features (<publish-root>/" + datasets.ExtendedRootName + "/)"}},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			o := publish.Options{Wiki: c.String(flagWiki), DataDir: co.DataDir, Root: c.String("publish-root"), DryRun: c.Bool("dry-run"), Extended: c.Bool("extended")}
			if c.Bool("v2") {
				if o.Extended {
					return usagef("unpublish: --v2 and --extended are two trees: give one")
				}
				o.Root = c.String("publish-root-v2")
			}
			if err := o.Validate(); err != nil {
				return usageError{err}
			}
			plan, kept, err := publish.Unpublish(o)
			if err != nil {
				return err
			}
			printPlan(plan, o.DryRun)
			for _, k := range kept {
				fmt.Fprintf(os.Stderr, "unpublish: kept %s (not a file publish writes; check it, then remove it by hand)\n", k)
			}
			if len(plan) == 0 {
				fmt.Fprintf(os.Stderr, "unpublish: %s is not published under %s: nothing to do\n", o.Wiki, o.Root)
			}
			return nil
		},
	}
}

func printPlan(plan []publish.Change, dry bool) {
	prefix := ""
	if dry {
		prefix = "would "
	}
	for _, c := range plan {
		fmt.Printf("%s%s\n", prefix, c)
	}
}
