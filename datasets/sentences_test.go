package datasets

import (
	"strings"
	"testing"
)

func TestSentenceEscapeRoundTrip(t *testing.T) {
	for _, s := range []string{"", "a\tb", "a\\nb", "x\ny\\", `\\t`} {
		if got := UnescapeSentence(EscapeSentence(s)); got != s {
			t.Errorf("%q -> %q -> %q", s, EscapeSentence(s), got)
		}
		if strings.ContainsAny(EscapeSentence(s), "\t\n") {
			t.Errorf("EscapeSentence(%q) = %q", s, EscapeSentence(s))
		}
	}
}
