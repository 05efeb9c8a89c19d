package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"aggregator/config"
)

// warnConfig reports each warning about the config through log when log
// shows warnings, else as a line on stderr. --check has no log, and --once
// logs only errors by default, yet their warnings must still be seen.
func warnConfig(ctx context.Context, log *slog.Logger, stderr io.Writer, warnings []config.Problem) {
	for _, w := range warnings {
		if log != nil && log.Enabled(ctx, slog.LevelWarn) {
			log.Warn("config: "+w.Message, "file", w.File, "line", w.Line, "field", w.Field)
			continue
		}
		fmt.Fprintln(stderr, "aggregator: warning:", w)
	}
}
