#!/usr/bin/env bash
# Soak test: the daemon against 1,000 loopback feeds, 20% of them misbehaving
# (500s, slow answers, malformed XML, bodies over 10 MiB, gzip bombs; see
# bench/feedfarm). Samples the daemon every 5 s and prints goroutines, open
# fds and RSS, then start vs end: all three should level off, not climb.
#
#   bench/soak.sh                 # 30 cycles of 5 s
#   CYCLES=6 bench/soak.sh        # a quick check
#   FEEDS=200 BAD=0.5 bench/soak.sh
#   PER_HOST=2 KEEP=1 bench/soak.sh   # fetch.per_host; keep the work folder
#
# Loopback only. Needs go, curl; Linux (/proc).
set -euo pipefail

CYCLES=${CYCLES:-30}
FEEDS=${FEEDS:-1000}
BAD=${BAD:-0.2}
SEED=${SEED:-1}
INTERVAL=5

cd "$(dirname "$0")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX")
farm_pid= agg_pid=
cleanup() {
	[ -n "$agg_pid" ] && kill "$agg_pid" 2>/dev/null && wait "$agg_pid" 2>/dev/null || true
	[ -n "$farm_pid" ] && kill "$farm_pid" 2>/dev/null && wait "$farm_pid" 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building into $work ..." >&2
go build -o "$work/aggregator" ./cmd/aggregator
go build -o "$work/feedfarm" ./bench/feedfarm

# The farm prints its address on its first line. -size 0: items of a few
# hundred bytes, so that the load stays on failures, not on parsing.
"$work/feedfarm" -addr 127.0.0.1:0 -feeds "$FEEDS" -items 20 -size 0 -bad "$BAD" -seed "$SEED" >"$work/farm.out" 2>"$work/farm.err" &
farm_pid=$!
for _ in $(seq 100); do [ -s "$work/farm.out" ] && break; sleep 0.1; done
farm=$(head -1 "$work/farm.out")
[ -n "$farm" ] || { echo "feedfarm did not start:" >&2; cat "$work/farm.err" >&2; exit 1; }

# A free loopback port: bind :0, read the port, close.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
listen=127.0.0.1:$port

{
	echo "store: soak.db"
	echo 'schedule: "@every 5s"'
	echo "server:"
	echo "  listen: $listen"
	echo "publish:"
	echo "  dir: public"
	echo "fetch:"
	echo "  jitter: 0s"
	echo "  allow_private_addresses: true"
	# Every farm feed is on one host:port; the default per-host limit (2)
	# would serialise them all. PER_HOST=8 (the default concurrency) makes
	# them behave like feeds on many hosts.
	echo "  per_host: ${PER_HOST:-8}"
	echo "feeds:"
	for ((i = 0; i < FEEDS; i++)); do echo "  - url: http://$farm/feed/$i"; done
} >"$work/config.yaml"
"$work/aggregator" --config "$work/config.yaml" --check >&2

"$work/aggregator" --config "$work/config.yaml" --log-level warn 2>"$work/aggregator.log" &
agg_pid=$!
for _ in $(seq 100); do curl -fs "http://$listen/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
kill -0 "$agg_pid" 2>/dev/null || { echo "aggregator died:" >&2; tail "$work/aggregator.log" >&2; exit 1; }
echo "farm http://$farm ($FEEDS feeds, bad $BAD), aggregator http://$listen pid $agg_pid; $CYCLES cycles of ${INTERVAL}s" >&2

metric() { # metric NAME: the sum of a metric's samples in /metrics
	curl -fs -m 5 "http://$listen/metrics" 2>/dev/null |
		awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $2 } END { printf "%d", s }'
}
sample() { # t goroutines fds sockets rss_kib fetches items
	local fds socks rss
	fds=$(ls "/proc/$agg_pid/fd" 2>/dev/null | wc -l)
	socks=$(find "/proc/$agg_pid/fd" -lname 'socket:*' 2>/dev/null | wc -l)
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$agg_pid/status" 2>/dev/null)
	printf '%6d %10s %6s %7s %10s %9s %9s\n' "$1" "$(metric go_goroutines)" "$fds" "$socks" "${rss:-?}" \
		"$(metric aggregator_fetches_total)" "$(metric aggregator_items_ingested_total)"
}

printf '%6s %10s %6s %7s %10s %9s %9s\n' t_s goroutines fds sockets rss_kib fetches items
start=$(date +%s)
first=$(sample 0)
echo "$first"
last=$first
for ((c = 1; c <= CYCLES; c++)); do
	sleep $((start + c * INTERVAL - $(date +%s)))
	kill -0 "$agg_pid" 2>/dev/null || { echo "aggregator died:" >&2; tail "$work/aggregator.log" >&2; exit 1; }
	last=$(sample $((c * INTERVAL)))
	echo "$last"
done

read -r _ g0 f0 s0 r0 _ <<<"$first"
read -r _ g1 f1 s1 r1 n1 i1 <<<"$last"
echo
echo "start: goroutines $g0, fds $f0 ($s0 sockets), RSS $((r0 / 1024)) MiB"
echo "end:   goroutines $g1, fds $f1 ($s1 sockets), RSS $((r1 / 1024)) MiB  ($n1 fetches, $i1 items ingested)"
echo "log lines: $(wc -l <"$work/aggregator.log") (warnings and errors), by message:"
grep -o 'msg="[^"]*"' "$work/aggregator.log" | sort | uniq -c | sort -rn | head -5
