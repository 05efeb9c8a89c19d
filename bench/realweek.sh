#!/usr/bin/env bash
# The reader's view of a real week: replays shared/fixtures/realweek's four
# days through --once (one run a day), scores the stories with the fixture's
# score.py --adjacent, and prints the headline and tag figures
# (cmd/aggregator's TestRealweekReplay, which fails under its floors).
# SHARED_DIR: where shared/ is (default: ../shared beside the project).
set -euo pipefail
cd "$(dirname "$0")/.."
go test -count=1 -run '^TestRealweekReplay$' -v ./cmd/aggregator | grep -v '^=== RUN'
