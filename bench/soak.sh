#!/usr/bin/env bash
# Soak test: the daemon against 1,000 loopback feeds, 20% of them misbehaving
# (500s, slow answers, malformed XML, bodies over 10 MiB, gzip bombs; see
# bench/feedfarm). Every feed is fetched every 5 s cycle, the failing ones
# too: the config's backoff (at most 2 s) is shorter than a cycle. Samples
# the daemon after every cycle and prints goroutines, open fds and RSS, then
# the start against the end: all three should level off, not climb. A
# sample counts what happens to be in flight at that moment (the feeds are
# fetched in bursts), so the start is the lowest of the first W samples
# after the first cycle (start-up done), the end the lowest of the last W
# (W = CYCLES/2, at most 5): a leak raises that floor. It fails (exit 1)
# when one grew by more than its limit:
#
#   goroutines  MAX_GOROUTINES% (50) plus 100
#   fds         MAX_FDS (32)
#   RSS         MAX_RSS% (100) plus 32 MiB: the store and the stories in
#               memory grow with the farm's new items, by design
#
#   bench/soak.sh                 # 30 cycles of 5 s
#   CYCLES=6 bench/soak.sh        # a quick check
#   FEEDS=200 BAD=0.5 bench/soak.sh
#   PER_HOST=2 KEEP=1 bench/soak.sh   # fetch.per_host; keep the work folder
#
# Loopback only. Needs go, curl; Linux (/proc).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

CYCLES=${CYCLES:-30}
FEEDS=${FEEDS:-1000}
BAD=${BAD:-0.2}
SEED=${SEED:-1}
MAX_GOROUTINES=${MAX_GOROUTINES:-50}
MAX_FDS=${MAX_FDS:-32}
MAX_RSS=${MAX_RSS:-100}
INTERVAL=5
[ "$CYCLES" -ge 2 ] || { echo "CYCLES must be at least 2: the first cycle is the start" >&2; exit 2; }

setup
build aggregator feedfarm

# -size 0: items of a few hundred bytes, so that the load stays on
# failures, not on parsing.
start_farm farm -feeds "$FEEDS" -items 20 -size 0 -bad "$BAD" -seed "$SEED"
farm=$addr
listen=127.0.0.1:$(free_port)

{
	echo "store: soak.db"
	echo 'schedule: "@every 5s"'
	echo "server:"
	echo "  listen: $listen"
	echo "publish:"
	echo "  dir: public"
	echo "fetch:"
	echo "  jitter: 0s"
	echo "  min_interval: 5s"
	echo "  allow_private_addresses: true"
	# A failing feed waits backoff_base, doubling per failure, up to
	# backoff_max: the defaults (15m, 24h) would fetch a bad feed once in
	# the whole soak. At most 2 s, less than a cycle: every cycle fetches
	# every bad feed again, and its failure path is what is soaked.
	echo "  backoff_base: 1s"
	echo "  backoff_max: 2s"
	# Every farm feed is on one host:port; the default per-host limit (2)
	# would serialise them all. PER_HOST=8 (the default concurrency) makes
	# them behave like feeds on many hosts.
	echo "  per_host: ${PER_HOST:-8}"
	feeds "http://$farm/feed/"
} >"$work/config.yaml"
check_config "$work/config.yaml"

"$work/aggregator" --config "$work/config.yaml" --log-level warn 2>"$work/aggregator.log" &
agg_pid=$!
track "$agg_pid"
await "http://$listen/healthz" "$agg_pid" "$work/aggregator.log"
echo "farm http://$farm ($FEEDS feeds, bad $BAD), aggregator http://$listen pid $agg_pid; $CYCLES cycles of ${INTERVAL}s" >&2

failed() { # fetches that failed: HTTP 4xx and 5xx, and every other error
	echo $(($(metric 'aggregator_fetches_total{result="http_4xx"}') + $(metric 'aggregator_fetches_total{result="http_5xx"}') +
		$(metric 'aggregator_fetches_total{result="error"}')))
}
sample() { # t goroutines fds sockets rss_kib fetches failed items
	local fds socks rss
	fds=$(ls "/proc/$agg_pid/fd" 2>/dev/null | wc -l)
	socks=$(find "/proc/$agg_pid/fd" -lname 'socket:*' 2>/dev/null | wc -l)
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$agg_pid/status" 2>/dev/null)
	printf '%6d %10s %6s %7s %10s %9s %7s %9s\n' "$1" "$(metric go_goroutines)" "$fds" "$socks" "${rss:-?}" \
		"$(metric aggregator_fetches_total)" "$(failed)" "$(metric aggregator_items_ingested_total)"
}

printf '%6s %10s %6s %7s %10s %9s %7s %9s\n' t_s goroutines fds sockets rss_kib fetches failed items
start=$(date +%s)
sample 0
declare -a G F R
for ((c = 1; c <= CYCLES; c++)); do
	sleep $((start + c * INTERVAL - $(date +%s)))
	alive "$agg_pid" "$work/aggregator.log"
	last=$(sample $((c * INTERVAL)))
	echo "$last"
	read -r _ G[c] F[c] _ R[c] _ <<<"$last"
	[ "$c" -eq 1 ] && first=$last
done

floor() { # floor FROM TO VALUES...: the lowest of values FROM to TO (1-based)
	local from=$1 to=$2 low=
	shift 2
	for v in "${@:from:to-from+1}"; do
		if [ -z "$low" ] || [ "$v" -lt "$low" ]; then low=$v; fi
	done
	echo "$low"
}
w=$((CYCLES / 2 < 5 ? CYCLES / 2 : 5))
g0=$(floor 1 "$w" "${G[@]}") g1=$(floor $((CYCLES - w + 1)) "$CYCLES" "${G[@]}")
f0=$(floor 1 "$w" "${F[@]}") f1=$(floor $((CYCLES - w + 1)) "$CYCLES" "${F[@]}")
r0=$(floor 1 "$w" "${R[@]}") r1=$(floor $((CYCLES - w + 1)) "$CYCLES" "${R[@]}")
read -r _ _ _ _ _ n0 e0 _ <<<"$first"
read -r _ _ _ _ _ n1 e1 i1 <<<"$last"
echo
echo "start: goroutines $g0, fds $f0, RSS $((r0 / 1024)) MiB  (the lowest of cycles 1 to $w)"
echo "end:   goroutines $g1, fds $f1, RSS $((r1 / 1024)) MiB  (the lowest of cycles $((CYCLES - w + 1)) to $CYCLES)"
echo "after the first cycle: $(((n1 - n0) / (CYCLES - 1))) fetches and $(((e1 - e0) / (CYCLES - 1))) failures a cycle" \
	"($FEEDS feeds, bad $BAD); $n1 fetches, $e1 failed, $i1 items ingested in all"
echo "log lines: $(wc -l <"$work/aggregator.log") (warnings and errors), by message:"
grep -o 'msg="[^"]*"' "$work/aggregator.log" | sort | uniq -c | sort -rn | head -5

status=0
limit() { # limit NAME START END MAX: END within MAX of START, or say so
	if [ "$3" -gt "$4" ]; then
		echo "FAIL: $1 grew from $2 to $3, over the limit of $4" >&2
		status=1
	fi
}
limit goroutines "$g0" "$g1" $((g0 + g0 * MAX_GOROUTINES / 100 + 100))
limit fds "$f0" "$f1" $((f0 + MAX_FDS))
limit "RSS (KiB)" "$r0" "$r1" $((r0 + r0 * MAX_RSS / 100 + 32 * 1024))
[ "$status" -eq 0 ] && echo "ok: goroutines, fds and RSS within their limits"
exit "$status"
