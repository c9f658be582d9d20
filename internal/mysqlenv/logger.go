package mysqlenv

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// DriverLogger returns a go-sql-driver/mysql logger (for mysql.Config.Logger) that
// writes the driver's messages (a connection that broke, "unexpected EOF", "closing bad
// idle connection") to l as warnings, in l's format, instead of the driver's default
// plain-text lines on stderr, which break a JSON log. A nil l discards them.
func DriverLogger(l *slog.Logger) mysql.Logger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return driverLogger{l}
}

type driverLogger struct{ l *slog.Logger }

func (d driverLogger) Print(v ...any) {
	d.l.Warn("mysql driver", slog.String("error", strings.TrimSpace(fmt.Sprint(v...))))
}
