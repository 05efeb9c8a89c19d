# What the bench/*.sh scripts share; each sources it first:
#
#   . "$(dirname "$0")/lib.sh"
#
# It defines functions, $script (the script's name, for messages) and the
# list of processes to stop at exit, and does nothing until called.

script=$(basename "$0")

# die MESSAGE...: says so on stderr, with the script's name, and exits 1.
die() {
	echo "$script: $*" >&2
	exit 1
}

# need_gnu_time: exits unless GNU time is at /usr/bin/time.
need_gnu_time() {
	[ -x /usr/bin/time ] || die "needs GNU time at /usr/bin/time (apt-get install time)"
}

# setup [DIR]: goes to the module root and makes $work, a new folder in DIR
# (default ${TMPDIR:-/tmp}) named after the script. At exit, or on SIGINT or
# SIGTERM, cleanup stops what track started and removes $work; with KEEP set
# it keeps $work and says where it is.
setup() {
	cd "$(dirname "$0")/.."
	work=$(mktemp -d "${1:-${TMPDIR:-/tmp}}/${script%.sh}.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT TERM
}

tracked=() signals=()
# track PID [SIGNAL]: cleanup sends SIGNAL (TERM) to PID and waits for it.
track() {
	tracked+=("$1")
	signals+=("${2:-TERM}")
}

# untrack PID: cleanup leaves PID alone (the script has waited for it).
untrack() {
	local i
	for i in "${!tracked[@]}"; do
		[ "${tracked[i]}" = "$1" ] && unset 'tracked[i]' 'signals[i]'
	done
	return 0
}

# cleanup: stops the tracked processes, the last started first, then
# removes $work unless KEEP is set.
cleanup() {
	local i at=("${!tracked[@]}")
	for ((i = ${#at[@]} - 1; i >= 0; i--)); do
		kill -"${signals[at[i]]}" "${tracked[at[i]]}" 2>/dev/null && wait "${tracked[at[i]]}" 2>/dev/null || true
	done
	[ -n "${work:-}" ] || return 0
	if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}

# banner: the date, the machine, the Go version and the commit.
banner() {
	echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
	echo "cpu: $(nproc) × $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo); $("${GO:-go}" version); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
}

# build NAME...: builds each of aggregator (./cmd/aggregator), feedfarm and
# parsefloor (./bench/NAME) into $work/NAME, with ${GO:-go}.
build() {
	echo "building into $work ..." >&2
	local name
	for name in "$@"; do
		case $name in
		aggregator) "${GO:-go}" build -o "$work/$name" ./cmd/aggregator ;;
		*) "${GO:-go}" build -o "$work/$name" "./bench/$name" ;;
		esac
	done
}

# start_farm NAME FLAG...: starts $work/feedfarm on a free loopback port
# with FLAGs, its output in $work/NAME.out and .err, waits for the address
# it prints first and sets addr to it. Not in a subshell: track needs its pid.
start_farm() {
	local name=$1
	shift
	"$work/feedfarm" -addr 127.0.0.1:0 "$@" >"$work/$name.out" 2>"$work/$name.err" &
	track $!
	for _ in $(seq 100); do [ -s "$work/$name.out" ] && break; sleep 0.1; done
	[ -s "$work/$name.out" ] || { echo "$script: feedfarm $name did not start:" >&2; cat "$work/$name.err" >&2; exit 1; }
	addr=$(head -1 "$work/$name.out")
}

# farm_stats ADDR: the farm's requests, 200s, 304s, failures and bytes
# served so far (its /_stats).
farm_stats() {
	curl -fs "http://$1/_stats" | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["requests"], d["ok"], d["not_modified"], d["failed"], d["bytes"])'
}

# free_port: a free loopback port (bind :0, read the port, close).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# story_outputs: a config's outputs: all stories, and those three outlets
# carried.
story_outputs() {
	echo "outputs:"
	echo "  - name: all"
	echo "    title: All stories"
	echo "    limit: 50"
	echo "  - name: wide"
	echo "    title: Stories three outlets carried"
	echo "    limit: 50"
	echo '    filter: "sources>=3"'
}

# feeds PREFIX [SUFFIX]: a config's feeds: FEEDS of them, feed i at
# PREFIXiSUFFIX.
feeds() {
	local i
	echo "feeds:"
	for ((i = 0; i < FEEDS; i++)); do echo "  - url: $1$i${2:-}"; done
}

# check_config FILE: aggregator --check on FILE, its report on stderr.
check_config() {
	"$work/aggregator" --config "$1" --check >&2
}

# timed NAME COMMAND...: runs COMMAND under GNU time, into $work/NAME.time.
timed() {
	local name=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$work/$name.time" "$@"
}

# time_of NAME: wall seconds, CPU seconds (user + system) and peak RSS in
# KiB of the command timed as NAME.
time_of() {
	tail -1 "$work/$1.time" | awk '{ print $1, $2 + $3, $4 }'
}

# timed_once NAME CONFIG [FLAG...]: a timed aggregator --once on CONFIG,
# its JSON log in $work/NAME.log; exits with the end of that log if it
# fails.
timed_once() {
	local name=$1 config=$2
	shift 2
	timed "$name" "$work/aggregator" --config "$config" --once --log-level info --log-format json "$@" \
		2>"$work/$name.log" && return
	echo "$script: $name: --once did not succeed; its summary and last log lines:" >&2
	summary "$work/$name.log"
	grep '^{' "$work/$name.log" | grep -v '"msg":"fetched"' | tail -5 >&2
	exit 1
}

# summary LOG: the end of what --once printed besides its JSON log lines.
summary() {
	grep -v '^{' "$1" | tail -20 >&2
}

# parsed_added LOG: items parsed and items added, summed over the "fetched"
# lines of a JSON log.
parsed_added() {
	python3 - "$1" <<'EOF'
import json, sys
parsed = added = 0
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("msg") == "fetched":
        parsed += r.get("items", 0)
        added += r.get("added", 0)
print(parsed, added)
EOF
}

# alive PID LOG: exits with the end of LOG unless PID is still running.
alive() {
	kill -0 "$1" 2>/dev/null && return
	echo "$script: process $1 died; the end of $2:" >&2
	tail "$2" >&2
	exit 1
}

# await URL PID LOG: waits up to 10 s for URL to answer, while PID runs.
await() {
	for _ in $(seq 100); do
		curl -fs -o /dev/null "$1" && return
		alive "$2" "$3"
		sleep 0.1
	done
}

# metric NAME: the sum of a metric's samples in the daemon's /metrics, at
# $listen.
metric() {
	curl -fs -m 5 "http://$listen/metrics" 2>/dev/null |
		awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $2 } END { printf "%.0f", s }'
}
