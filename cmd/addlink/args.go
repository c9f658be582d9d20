package main

import (
	"context"
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"
)

// run runs the app on a command line after normalizeArgs: main and the tests go
// through it. jsonLog reports whether the command asked for --log-format json, so that
// main prints the error in that form too.
func run(ctx context.Context, args []string) (jsonLog bool, err error) {
	app := newApp()
	args, err = normalizeArgs(app, args)
	if err != nil {
		return false, err
	}
	err = app.RunContext(ctx, args)
	if v, ok := app.Metadata[metaJSONLog].(bool); ok {
		return v, err
	}
	// The command line stopped before the command's checks (a flag urfave/cli refused):
	// read the format as typed.
	for i, a := range args {
		if a == "--" {
			break
		}
		if a == "--"+flagLogFmt+"=json" || a == "--"+flagLogFmt && i+1 < len(args) && args[i+1] == "json" {
			return true, err
		}
	}
	return false, err
}

// metaJSONLog is the app's Metadata key set when the command logs JSON.
const metaJSONLog = "json-log"

// normalizeArgs lets flags go anywhere on the command line, as users expect
// (`addlink cat FILE --format tsv`, `addlink --wiki cswiki status`): urfave/cli stops
// reading flags at the first positional argument. It returns the command line as
// "addlink COMMAND FLAGS... -- ARGS...": the flags given before the command name and
// after it, in their order, then the positional arguments. A flag takes the next
// argument as its value when it is declared with one (so `--dump -` or `--title
// --x` keep their values); `--` ends the flags. An unknown command is a usage error;
// a command line without a command (`addlink --help`) is left as it is.
func normalizeArgs(app *cli.App, args []string) ([]string, error) {
	if len(args) < 2 {
		return args, nil
	}
	appValues := valueFlags(app.Flags)
	var before []string
	i := 1
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" || !isFlag(a) {
			break
		}
		before = append(before, a)
		if takesValue(appValues, a) && i+1 < len(args) {
			i++
			before = append(before, args[i])
		}
	}
	if i >= len(args) || args[i] == "--" {
		return args, nil
	}
	name := args[i]
	if name == "help" || name == "h" {
		if i+1 < len(args) && !isFlag(args[i+1]) && findCommand(app, args[i+1]) == nil {
			return nil, usagef("unknown command %q (addlink --help lists the commands)", args[i+1])
		}
		return args, nil
	}
	cmd := findCommand(app, name)
	if cmd == nil {
		return nil, usagef("unknown command %q (addlink --help lists the commands)", name)
	}
	// A command made of subcommands (addlink review import ...): the subcommand's name
	// follows the command's, and the flags are the subcommand's.
	path := []string{name}
	if len(cmd.Subcommands) > 0 && i+1 < len(args) && !isFlag(args[i+1]) {
		sub := findSubcommand(cmd, args[i+1])
		if sub == nil {
			return nil, usagef("unknown command %q %q (addlink %s --help lists them)", name, args[i+1], name)
		}
		path = append(path, args[i+1])
		cmd = sub
		i++
	}
	values := valueFlags(cmd.Flags)
	for k, v := range appValues {
		if _, ok := values[k]; !ok {
			values[k] = v
		}
	}
	flags := before
	var positional []string
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		switch {
		case a == "--":
			positional = append(positional, rest[j+1:]...)
			j = len(rest)
		case isFlag(a):
			flags = append(flags, a)
			if takesValue(values, a) && j+1 < len(rest) {
				j++
				flags = append(flags, rest[j])
			}
		default:
			positional = append(positional, a)
		}
	}
	out := append(append([]string{args[0]}, path...), flags...)
	for _, f := range flags {
		if f == "--help" || f == "-h" {
			positional = nil // the command's help, whatever else was typed
		}
	}
	if len(positional) > 0 {
		out = append(append(out, "--"), positional...)
	}
	return out, nil
}

// isFlag reports whether a looks like a flag ("-" alone is a positional: stdin).
func isFlag(a string) bool { return len(a) > 1 && a[0] == '-' }

// takesValue reports whether the flag a (without "=value") is declared with a value.
func takesValue(values map[string]bool, a string) bool {
	if strings.Contains(a, "=") {
		return false
	}
	return values[strings.TrimLeft(a, "-")]
}

// valueFlags maps every name and alias of flags to whether the flag takes a value.
func valueFlags(flags []cli.Flag) map[string]bool {
	m := map[string]bool{}
	for _, f := range flags {
		tv, ok := f.(interface{ TakesValue() bool })
		for _, n := range f.Names() {
			m[n] = ok && tv.TakesValue()
		}
	}
	return m
}

func findSubcommand(c *cli.Command, name string) *cli.Command {
	for _, s := range c.Subcommands {
		if s.HasName(name) {
			return s
		}
	}
	return nil
}

func findCommand(app *cli.App, name string) *cli.Command {
	for _, c := range app.Commands {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// checkCommandLine is the Before of every command: a required flag that is missing
// an unknown --log-format and arguments given to a command that takes none are usage errors (exit status 2),
// named as the user types them. (urfave/cli's own check of required flags prints the
// whole help and returns an error that is not a usage error.)
func checkCommandLine(required []string) cli.BeforeFunc {
	return func(c *cli.Context) error {
		var missing []string
		for _, n := range required {
			if !c.IsSet(n) {
				missing = append(missing, "--"+n)
			}
		}
		if len(missing) > 0 {
			return usagef("%s: %s required (see addlink %s --help)", c.Command.Name,
				strings.Join(missing, " and ")+map[bool]string{true: " is", false: " are"}[len(missing) == 1],
				c.Command.Name)
		}
		f := setIn(c, flagLogFmt).String(flagLogFmt)
		if f != "text" && f != "json" {
			return usagef("--%s must be text or json, not %q", flagLogFmt, f)
		}
		c.App.Metadata[metaJSONLog] = f == "json"
		if c.Command.ArgsUsage == "" && c.NArg() > 0 {
			return usagef("%s: takes no arguments, got %q", c.Command.Name, c.Args().First())
		}
		return nil
	}
}

// takeRequired clears the Required mark of a command's flags and returns their names,
// so that checkCommandLine checks them instead of urfave/cli.
func takeRequired(c *cli.Command) []string {
	var names []string
	for _, f := range c.Flags {
		switch f := f.(type) {
		case *cli.StringFlag:
			if f.Required {
				f.Required = false
				names = append(names, f.Name)
			}
		case cli.RequiredFlag:
			if f.IsRequired() {
				panic("addlink: required flag of an unexpected type: " + f.Names()[0])
			}
		}
	}
	return names
}

// singleDashFlag matches the flag names urfave/cli and the flag package write with one
// dash ("flag provided but not defined: -from").
var singleDashFlag = regexp.MustCompile(`(^|[\s:"'])-([a-z][a-z0-9-]+)`)

// dashedFlags spells long flags in a message with two dashes, as users type them.
func dashedFlags(msg string) string {
	return singleDashFlag.ReplaceAllString(msg, "$1--$2")
}
