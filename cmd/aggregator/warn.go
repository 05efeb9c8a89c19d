package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"aggregator/config"
)

// warnConfig tells of each warning about the config: through log when it
// shows warnings, else as a line on stderr, as the summary of --once is.
func warnConfig(ctx context.Context, log *slog.Logger, stderr io.Writer, warnings []config.Problem) {
	for _, w := range warnings {
		if log != nil && log.Enabled(ctx, slog.LevelWarn) {
			log.Warn("config: "+w.Message, "file", w.File, "line", w.Line, "field", w.Field)
			continue
		}
		fmt.Fprintln(stderr, "aggregator: warning:", w)
	}
}
