package datasets

import "strings"

// tsvEscaper writes a value the way the reference TSV files do: tab, newline and
// backslash inside a value become \t, \n and \\ (carriage return \r too).
var tsvEscaper = strings.NewReplacer("\\", `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

// EscapeTSV escapes one TSV field.
func EscapeTSV(s string) string {
	if !strings.ContainsAny(s, "\\\t\n\r") {
		return s
	}
	return tsvEscaper.Replace(s)
}

var tsvUnescaper = strings.NewReplacer(`\\`, "\\", `\t`, "\t", `\n`, "\n", `\r`, "\r")

// UnescapeTSV reverses EscapeTSV.
func UnescapeTSV(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return tsvUnescaper.Replace(s)
}
