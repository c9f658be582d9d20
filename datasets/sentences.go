package datasets

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/addlink/addlink/atomicfile"
)

// Sentence is one sentence of the sentences stage's files: the article's title and
// the sentence's wikitext.
type Sentence struct {
	Title, Text string
}

// EscapeSentence writes a value of a sentences file: \, tab and newline as \\, \t and \n.
func EscapeSentence(s string) string {
	if !strings.ContainsAny(s, "\\\t\n\r") {
		return s
	}
	return strings.NewReplacer("\\", `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`).Replace(s)
}

// UnescapeSentence reverses EscapeSentence.
func UnescapeSentence(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case 't':
				b.WriteByte('\t')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(s[i+1])
			}
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// WriteSentences writes a sentences file (training/sentences_train.csv,
// testing/sentences_test.csv: lines `title<TAB>sentence wikitext`, values escaped by
// EscapeSentence) to path atomically.
func WriteSentences(path string, sents []Sentence) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	for _, s := range sents {
		w.WriteString(EscapeSentence(s.Title))
		w.WriteByte('\t')
		w.WriteString(EscapeSentence(s.Text))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// ReadSentences reads a sentences file. A line without a tab is an error naming the line.
func ReadSentences(path string) ([]Sentence, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Sentence
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		t, s, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want title<TAB>sentence", path, line)
		}
		out = append(out, Sentence{Title: UnescapeSentence(t), Text: UnescapeSentence(s)})
	}
	return out, sc.Err()
}
