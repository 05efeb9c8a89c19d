#!/usr/bin/env bash
# Memory with a big subscription list: 10,000 loopback feeds (bench/feedfarm)
# of 50 items each, 500,000 items stored. One timed `aggregator --once`
# fills the store (wall, CPU, peak RSS); then the daemon starts on that
# store, and its VmRSS and VmHWM (/proc/PID/status) are sampled every
# 2 seconds from start-up until WAIT seconds after it is ready (/readyz),
# while it fetches on SCHEDULE (every feed answers 304: nothing changed).
# It prints the time to ready, the peak (VmHWM), the steady RSS (the median
# after ready) and the heap, against a target of 150 MB peak; then stops the
# daemon with SIGTERM.
#
#   bench/memory.sh                     # 10,000 feeds × 50 items, ~600-byte bodies
#   FEEDS=200 WAIT=20 bench/memory.sh   # a quick check
#   FEEDS=10000 ITEMS=50 SIZE=600 WAIT=120 KEEP=1 bench/memory.sh
#
# Item bodies are small (SIZE 600 bytes, plus a ~300-character summary) so
# that filling 500,000 items takes minutes, not an hour, on two cores: what
# is measured is the memory of the items the daemon holds or indexes, which
# grows with their number more than with their size. The farm dates each
# feed's items back over 2 to 25 days, so the 72-hour story window holds a
# fraction of what is stored, as it would in real use.
#
# Environment: FEEDS (10000), ITEMS (50), SIZE (600), WAIT (90, seconds after
# ready), SCHEDULE ("@every 1m"; fetch.jitter is 30s, so a pass is spread over
# half a minute), CONCURRENCY (8), SEED (1), KEEP=1 keeps the work folder.
#
# Loopback only. Needs go, curl, python3 and GNU time (/usr/bin/time);
# Linux (/proc).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FEEDS=${FEEDS:-10000}
ITEMS=${ITEMS:-50}
SIZE=${SIZE:-600}
WAIT=${WAIT:-90}
SCHEDULE=${SCHEDULE:-@every 1m}
CONCURRENCY=${CONCURRENCY:-8}
SEED=${SEED:-1}
TARGET_MB=150

need_gnu_time
setup
banner
echo "farm: $FEEDS feeds × $ITEMS items of ~$SIZE bytes; daemon schedule \"$SCHEDULE\", fetch concurrency $CONCURRENCY"
build aggregator feedfarm

start_farm farm -feeds "$FEEDS" -items "$ITEMS" -size "$SIZE" -dups 0.2 -tracking 0.05 -bad 0 -period 0 -seed "$SEED"
farm=$addr
listen=127.0.0.1:$(free_port)

{
	echo "store: memory.db"
	echo "schedule: \"$SCHEDULE\""
	echo "server:"
	echo "  listen: $listen"
	echo "publish:"
	echo "  dir: public"
	echo "fetch:"
	echo "  concurrency: $CONCURRENCY"
	# Every farm feed is on one host:port.
	echo "  per_host: $CONCURRENCY"
	echo "  jitter: 30s"
	echo "  allow_private_addresses: true"
	story_outputs
	feeds "http://$farm/feed/"
} >"$work/config.yaml"
check_config "$work/config.yaml"

echo "== fill: --once over $FEEDS feeds" >&2
timed_once fill "$work/config.yaml"
read -r wall cpu rss <<<"$(time_of fill)"
read -r parsed added <<<"$(parsed_added "$work/fill.log")"
fill=$(printf 'fill (--once): %s items parsed, %s stored; wall %.1f s, CPU %.1f s, peak RSS %.0f MiB; store %.0f MiB' \
	"$parsed" "$added" "$wall" "$cpu" "$(awk -v m="$rss" 'BEGIN { print m / 1024 }')" \
	"$(du -cm "$work"/memory.db* | awk 'END { print $1 }')")
echo "$fill" >&2

echo "== daemon" >&2
read -r req0 _ nm0 _ <<<"$(farm_stats "$farm")"
"$work/aggregator" --config "$work/config.yaml" --log-level warn 2>"$work/daemon.log" &
agg_pid=$!
track "$agg_pid"
started=$(date +%s.%N)
status() { awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { print r, h }' "/proc/$agg_pid/status" 2>/dev/null; }
: >"$work/samples"
ready= ready_at= deadline=
while :; do
	alive "$agg_pid" "$work/daemon.log"
	now=$(date +%s.%N)
	t=$(awk -v a="$now" -v b="$started" 'BEGIN { printf "%.1f", a - b }')
	read -r rss hwm <<<"$(status)"
	if [ -z "$ready" ] && curl -fs -o /dev/null -m 2 "http://$listen/readyz"; then
		ready=1 ready_at=$t deadline=$(awk -v t="$t" -v w="$WAIT" 'BEGIN { print t + w }')
		echo "ready after ${t}s, RSS $((rss / 1024)) MiB" >&2
	fi
	echo "$t ${ready:-0} $rss $hwm" >>"$work/samples"
	if [ -n "$ready" ] && awk -v t="$t" -v d="$deadline" 'BEGIN { exit !(t >= d) }'; then break; fi
	if [ -z "$ready" ] && awk -v t="$t" 'BEGIN { exit !(t > 1800) }'; then
		echo "memory.sh: the daemon was not ready after 30 minutes" >&2
		exit 1
	fi
	sleep 2
done
read -r req1 _ nm1 _ <<<"$(farm_stats "$farm")"
heap_inuse=$(metric go_memstats_heap_inuse_bytes)
heap_alloc=$(metric go_memstats_heap_alloc_bytes)
read -r rss_end hwm_end <<<"$(status)"

echo "== stop (SIGTERM)" >&2
t0=$(date +%s.%N)
kill -TERM "$agg_pid"
code=0
wait "$agg_pid" || code=$?
untrack "$agg_pid"
stop_s=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.1f", a - b }')

# The median RSS after ready, and how many samples it is the median of.
read -r median n <<<"$(awk '$2 == 1 { print $3 }' "$work/samples" | sort -n |
	awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0), NR }')"

echo
echo "$fill"
awk -v ready="$ready_at" -v hwm="$hwm_end" -v rss_end="$rss_end" -v target="$TARGET_MB" -v median="$median" -v n="$n" \
	-v hi="$heap_inuse" -v ha="$heap_alloc" -v fetches="$((req1 - req0))" -v nm="$((nm1 - nm0))" -v wait="$WAIT" '
	$3 > max { max = $3 }
	END {
		printf "daemon: ready after %.1f s; %d fetches (%d answered 304) in its %.0f s\n", ready, fetches, nm, ready + wait
		printf "  peak RSS (VmHWM):   %6.0f MiB = %4.0f MB   target %d MB: %s\n", hwm / 1024, hwm * 1024 / 1e6, target,
			hwm * 1024 / 1e6 <= target ? "met" : "over"
		printf "  highest VmRSS seen: %6.0f MiB (sampled every 2 s)\n", max / 1024
		printf "  steady RSS:         %6.0f MiB (median of %d samples after ready), %.0f MiB at the end\n", median / 1024, n, rss_end / 1024
		printf "  Go heap at the end: %6.0f MiB in use, %.0f MiB live objects\n", hi / 1048576, ha / 1048576
	}' "$work/samples"
echo "  stopped by SIGTERM in ${stop_s}s, exit code $code"
