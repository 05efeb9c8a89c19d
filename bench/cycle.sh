#!/usr/bin/env bash
# The cost of a fetch cycle: `aggregator --once` against a loopback feed farm
# (bench/feedfarm: RSS and Atom, items of about SIZE bytes, 20% of items
# re-reporting a story other feeds carry, 5% exact copies under tracking
# links), measured on this machine in one run, each phase with
# /usr/bin/time:
#
#   floor     gofeed alone parsing the same bytes (bench/parsefloor), with
#             its defaults and with the aggregator's settings; these numbers
#             are parsefloor's own, without its downloads
#   cold      --once on a fresh store: every item is new
#   warm      --once again on that store: nothing changed, every answer is
#             a 304 (checked with the farm's /_stats)
#   warm-nv   the same without validators: a second farm that sends no
#             ETag or Last-Modified, primed by an unmeasured cold run on a
#             store of its own; the bodies are byte for byte the same
#   changed   on the store of cold and warm, after SHARE of the feeds gained
#             NEW items each (the farm's POST /_advance)
#
# It prints wall seconds, CPU seconds (user + system), peak RSS, the farm's
# 200s and 304s, and the items parsed and added for each phase, then the
# ratios that matter: cold CPU to the parse floor, and warm and changed CPU
# as a share of cold. CPU seconds are the aggregator's alone; the farm runs
# on the same cores but costs little (it serves 500 MB in about a second).
#
#   bench/cycle.sh                      # 1,000 feeds × 50 items of ~9 KB
#   FEEDS=50 bench/cycle.sh             # a quick check
#   FEEDS=1000 ITEMS=50 SIZE=9000 SHARE=0.1 NEW=2 KEEP=1 bench/cycle.sh
#
# Environment: FEEDS (1000), ITEMS (50), SIZE (9000), DUPS (0.2), TRACKING
# (0.05), SHARE (0.1), NEW (2), SEED (1), CONCURRENCY (8: fetch.concurrency
# and fetch.per_host, as all feeds are on one host), KEEP=1 keeps the work
# folder (logs, stores, outputs), PROFILE=1 (with KEEP=1) writes a CPU
# profile of each phase there (NAME.prof, for go tool pprof).
#
# Loopback only. Needs go, curl, python3 and GNU time (/usr/bin/time);
# Linux.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FEEDS=${FEEDS:-1000}
ITEMS=${ITEMS:-50}
SIZE=${SIZE:-9000}
DUPS=${DUPS:-0.2}
TRACKING=${TRACKING:-0.05}
SHARE=${SHARE:-0.1}
NEW=${NEW:-2}
SEED=${SEED:-1}
CONCURRENCY=${CONCURRENCY:-8}

need_gnu_time
setup
banner
echo "farm: $FEEDS feeds × $ITEMS items of ~$SIZE bytes, dups $DUPS, tracking $TRACKING, seed $SEED; fetch concurrency $CONCURRENCY"
build aggregator feedfarm parsefloor

# Both farms date their newest items at the same moment, so that they serve
# the same bytes.
ref=$(date -u +%Y-%m-%dT%H:%M:00Z)
farm_flags=(-feeds "$FEEDS" -items "$ITEMS" -size "$SIZE" -dups "$DUPS" -tracking "$TRACKING"
	-bad 0 -period 0 -seed "$SEED" -ref "$ref")
start_farm farm "${farm_flags[@]}" -validators both
farm=$addr
start_farm farm-nv "${farm_flags[@]}" -validators none
farm_nv=$addr

# config FILE STORE FARM: a config for FEEDS feeds of FARM.
config() {
	{
		echo "store: $2"
		echo "publish:"
		echo "  dir: public-${2%.db}"
		echo "  base_url: http://127.0.0.1:8080/"
		echo "fetch:"
		echo "  concurrency: $CONCURRENCY"
		echo "  per_host: $CONCURRENCY"
		echo "  jitter: 0s"
		echo "  allow_private_addresses: true"
		story_outputs
		feeds "http://$3/feed/"
	} >"$1"
	check_config "$1"
}
config "$work/a.yaml" a.db "$farm"
config "$work/nv.yaml" nv.db "$farm_nv"

rows=()
# measure NAME FARM CONFIG: one timed --once; its row goes to rows and its
# farm counts to $work/NAME.farm.
measure() {
	local name=$1 farm=$2 config=$3 before after
	before=$(farm_stats "$farm")
	timed_once "$name" "$config" ${PROFILE:+--cpuprofile "$work/$name.prof"}
	after=$(farm_stats "$farm")
	local wall cpu rss r0 o0 n0 f0 b0 r1 o1 n1 f1 b1 parsed added
	read -r wall cpu rss <<<"$(time_of "$name")"
	read -r r0 o0 n0 f0 b0 <<<"$before"
	read -r r1 o1 n1 f1 b1 <<<"$after"
	local req=$((r1 - r0)) ok=$((o1 - o0)) nm=$((n1 - n0)) failed=$((f1 - f0)) bytes=$((b1 - b0))
	read -r parsed added <<<"$(parsed_added "$work/$name.log")"
	if [ "$req" -ne "$FEEDS" ] || [ "$failed" -ne 0 ]; then
		echo "cycle.sh: $name: the farm saw $req requests ($failed failed) for $FEEDS feeds" >&2
	fi
	echo "$req $ok $nm" >"$work/$name.farm"
	rows+=("$(printf '%-22s %8.2f %8.2f %9.0f %7d %7d %9.1f %9d %9d' "$name" "$wall" "$cpu" \
		"$(awk -v m="$rss" 'BEGIN { print m / 1024 }')" \
		"$ok" "$nm" "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" "$parsed" "$added")")
	echo "${rows[-1]}" >&2
}

cpu() { awk '{ print $3 }' <<<"$1"; }

echo "== floor: gofeed alone on the bytes of $FEEDS feeds" >&2
timed floor "$work/parsefloor" -url "http://$farm" -feeds "$FEEDS" -json >"$work/floor.json"
while read -r line; do
	rows+=("$(python3 -c 'import json, sys
d = json.loads(sys.argv[1])
print("%-22s %8.2f %8.2f %9s %7s %7s %9.1f %9d %9s" % ("floor: " + d["variant"].replace("gofeed ", "").replace(" settings", ""),
    d["wall_seconds"], d["cpu_seconds"], "-", "-", "-", d["bytes"] / 1e6, d["items"], "-"))' "$line")")
done <"$work/floor.json"
floor_cpu=$(python3 -c 'import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["variant"] == "aggregator settings":
        print(d["cpu_seconds"])' "$work/floor.json")

echo "== cold" >&2
measure cold "$farm" "$work/a.yaml"
cold_cpu=$(cpu "${rows[-1]}")
cold_parsed=$(awk '{ print $8 }' <<<"${rows[-1]}")

echo "== warm: all 304" >&2
measure warm "$farm" "$work/a.yaml"
warm_cpu=$(cpu "${rows[-1]}")
read -r _ ok nm <"$work/warm.farm"
[ "$ok" -eq 0 ] && [ "$nm" -eq "$FEEDS" ] ||
	echo "cycle.sh: warm: expected $FEEDS 304s and no 200s, the farm answered $nm 304s and $ok 200s" >&2

echo "== warm without validators: priming run (not measured)" >&2
"$work/aggregator" --config "$work/nv.yaml" --once --log-level warn 2>"$work/nv-prime.log" ||
	{ echo "cycle.sh: priming run failed:" >&2; tail -20 "$work/nv-prime.log" >&2; exit 1; }
echo "== warm without validators" >&2
measure warm-nv "$farm_nv" "$work/nv.yaml"
nv_cpu=$(cpu "${rows[-1]}")
read -r _ ok nm <"$work/warm-nv.farm"
[ "$ok" -eq "$FEEDS" ] && [ "$nm" -eq 0 ] ||
	echo "cycle.sh: warm-nv: expected $FEEDS 200s, the farm answered $ok 200s and $nm 304s" >&2

echo "== changed: $(curl -fs -X POST "http://$farm/_advance?share=$SHARE&items=$NEW")" >&2
measure changed "$farm" "$work/a.yaml"
changed_cpu=$(cpu "${rows[-1]}")
changed_added=$(awk '{ print $9 }' <<<"${rows[-1]}")

echo
printf '%-22s %8s %8s %9s %7s %7s %9s %9s %9s\n' phase wall_s cpu_s rss_MiB 200s 304s served_MB parsed added
printf '%s\n' "${rows[@]}"
echo
awk -v floor="$floor_cpu" -v cold="$cold_cpu" -v warm="$warm_cpu" -v nv="$nv_cpu" -v changed="$changed_cpu" \
	-v parsed="$cold_parsed" -v added="$changed_added" 'BEGIN {
	if (floor > 0) printf "cold CPU / parse floor CPU (aggregator settings): %.1f×\n", cold / floor
	if (cold > 0) {
		printf "warm CPU / cold CPU:            %5.1f%%\n", 100 * warm / cold
		printf "warm-nv CPU / cold CPU:         %5.1f%%\n", 100 * nv / cold
		printf "changed CPU / cold CPU:         %5.1f%%", 100 * changed / cold
		if (parsed > 0) printf "   (new items: %.1f%% of the cold run'"'"'s)", 100 * added / parsed
		printf "\n"
	}
}'
