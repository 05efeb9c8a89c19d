#!/usr/bin/env bash
# Instances sharing one PostgreSQL store, against one instance, SQLite and
# Miniflux, on the same loopback feed farm (bench/feedfarm, -bad 0: every
# feed answers; -period 0: nothing grows with time). The script starts a
# throwaway PostgreSQL cluster of its own (initdb into its work folder, a
# free loopback port, the server's defaults but shared_buffers and
# max_connections, fsync on)
# and measures, each on a fresh database or file:
#
#   one       `aggregator --once` on PostgreSQL: cold (every item new), then
#             warm (again: every feed answers 304)
#   once3     INSTANCES `--once` runs started together, each with its own
#             `instance:`, on one database: cold, then warm (all started
#             together again); one leads and places the articles in stories
#   daemons   INSTANCES daemons started together, each with its own
#             `instance:`, on one database: cold until every feed was
#             fetched, every article placed and the leader published; then
#             stopped, and started again once every feed is due ("@every
#             1m") for the warm cycle (all 304); the warm figures include
#             the daemons' start-up
#   sqlite    `--once` cold and warm on a SQLite file
#   small     `--once` cold on PostgreSQL on the first MF_FEEDS feeds, when
#             MF_FEEDS differs from FEEDS, beside Miniflux
#   miniflux  Miniflux on a database of its own on the same cluster: the
#             feeds imported as OPML through its API (which only stores
#             them), then `miniflux -refresh-feeds` with BATCH_SIZE the
#             feed count (cold: it fetches, parses and stores every feed),
#             then -reset-feed-next-check-at and -refresh-feeds again (warm)
#
# For each: wall seconds, CPU seconds (user + system) of the aggregator or
# Miniflux (GNU time, or /proc/PID/stat for daemons) and of PostgreSQL (every
# process of the cluster, from /proc: the postmaster with the children it
# reaped, and its live children, before and after), the farm's 200s and
# 304s and bytes served (/_stats), the items stored and items stored per
# second of wall time, and the store's size (pg_database_size, or the SQLite
# files). The fleet's phases also check that the farm saw each feed once
# across the instances and that they stored the items one instance stored.
#
#   bench/fleet.sh                  # 10,000 feeds × 50 items of ~600 bytes
#   FEEDS=1000 bench/fleet.sh       # BENCHMARKS.md's tables, ~16 minutes
#   FEEDS=100 ITEMS=20 PHASES="one once3" bench/fleet.sh   # a quick try
#   FEEDS=10000 MF_FEEDS=1000 PHASES="small miniflux" bench/fleet.sh
#   STATEMENTS=8 FEEDS=200 bench/fleet.sh   # the costliest statements too
#
# Environment: FEEDS (10000), ITEMS (50), SIZE (600), DUPS (0.2), TRACKING
# (0.05), SEED (1), CONCURRENCY (32: fetch.concurrency and fetch.per_host,
# as every feed is on one host:port; Miniflux's WORKER_POOL_SIZE),
# INSTANCES (3), SHARED_BUFFERS (512MB), MAX_CONNECTIONS (300), MF_FEEDS
# (FEEDS), MINIFLUX (the Miniflux binary; default: miniflux.app or miniflux
# on PATH or in $(go env GOPATH)/bin; empty skips it: `GOBIN=DIR go install
# miniflux.app/v2@v2.3.5` installs it), PHASES ("one once3 daemons sqlite
# small miniflux"), PG_BIN (the newest /usr/lib/postgresql/*/bin), KEEP=1
# keeps the work folder (configs, logs, the cluster's log), STATEMENTS=N
# loads pg_stat_statements and notes the N statements that took the most
# time in each phase on PostgreSQL (it costs some CPU: not for figures).
#
# Miniflux runs with HTTP_PROXY and HTTPS_PROXY at a closed loopback port, so
# that its look-ups of each site's icon (the farm's feeds link to
# https://newsN.example/) fail at once on this machine instead of resolving
# names; the farm itself, on 127.0.0.1, is never proxied.
#
# Loopback only. Needs go, curl, python3, GNU time (/usr/bin/time),
# PostgreSQL's programs (initdb, pg_ctl, postgres, psql; as root the cluster
# runs as the postgres user, through runuser); Linux (/proc).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FEEDS=${FEEDS:-10000}
ITEMS=${ITEMS:-50}
SIZE=${SIZE:-600}
DUPS=${DUPS:-0.2}
TRACKING=${TRACKING:-0.05}
SEED=${SEED:-1}
CONCURRENCY=${CONCURRENCY:-32}
INSTANCES=${INSTANCES:-3}
SHARED_BUFFERS=${SHARED_BUFFERS:-512MB}
MAX_CONNECTIONS=${MAX_CONNECTIONS:-300}
MF_FEEDS=${MF_FEEDS:-$FEEDS}
PHASES=${PHASES:-one once3 daemons sqlite small miniflux}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

has() { [[ " $PHASES " == *" $1 "* ]]; }

need_gnu_time
[ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && [ -x "$PG_BIN/psql" ] ||
	die "needs PostgreSQL's programs in PG_BIN (now '$PG_BIN'; Debian: apt-get install postgresql)"
if [ "${MINIFLUX-auto}" = auto ]; then
	MINIFLUX=$(command -v miniflux.app || command -v miniflux ||
		ls "$(go env GOPATH)"/bin/miniflux.app "$(go env GOPATH)"/bin/miniflux 2>/dev/null | head -1 || true)
fi
if has miniflux && [ -z "$MINIFLUX" ]; then
	echo "$script: no Miniflux binary (MINIFLUX); skipping it" >&2
	PHASES=${PHASES//miniflux/}
fi
[ "$MF_FEEDS" -le "$FEEDS" ] || die "MF_FEEDS ($MF_FEEDS) exceeds FEEDS ($FEEDS)"
if [ "$MF_FEEDS" -eq "$FEEDS" ]; then PHASES=${PHASES//small/}; fi

setup
pg_stop() { :; }
trap 'pg_stop; cleanup' EXIT
banner
echo "farm: $FEEDS feeds × $ITEMS items of ~$SIZE bytes, dups $DUPS, tracking $TRACKING, seed $SEED, -bad 0, -period 0"
echo "fetch concurrency and per_host $CONCURRENCY; $INSTANCES instances; PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }'), shared_buffers $SHARED_BUFFERS, max_connections $MAX_CONNECTIONS; phases: $(echo $PHASES)"
[ -n "${MINIFLUX:-}" ] && has miniflux && echo "miniflux: $MINIFLUX $("$MINIFLUX" -version 2>&1 | head -1), $MF_FEEDS feeds"
build aggregator feedfarm

# --- PostgreSQL: a cluster of our own, as the postgres user when root.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pgdir=$work/pg
mkdir "$pgdir"
if [ "$(id -u)" -eq 0 ]; then
	chmod 711 "$work"
	chown postgres: "$pgdir"
fi
as_pg "$PG_BIN/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$work/initdb.log" 2>&1 ||
	{ cat "$work/initdb.log" >&2; die "initdb failed"; }
pgport=$(free_port)
# The server's defaults (fsync, synchronous_commit and full_page_writes on),
# but for the address, shared_buffers and max_connections: on PostgreSQL
# each instance holds up to fetch.per_host connections for its host slots
# besides its pool, and the default 100 runs out with three instances at a
# per_host of 32 (fetches then fail: "too many clients already").
{
	printf "listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = ''\nshared_buffers = %s\nmax_connections = %d\n" \
		"$pgport" "$SHARED_BUFFERS" "$MAX_CONNECTIONS"
	[ -z "${STATEMENTS:-}" ] || echo "shared_preload_libraries = 'pg_stat_statements'"
} | as_pg tee -a "$pgdir/data/postgresql.conf" >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w start >/dev/null ||
	{ cat "$pgdir/log" >&2; die "pg_ctl start failed"; }
pg_stop() { as_pg "$PG_BIN/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true; }
postmaster=$(head -1 "$pgdir/data/postmaster.pid")
psql_on() { # DB SQL: one statement's rows, unaligned
	"$PG_BIN/psql" -XAtq -h 127.0.0.1 -p "$pgport" -U postgres -d "$1" -c "$2"
}
psql_on postgres "CREATE ROLE bench LOGIN"
dsn() { echo "postgres://bench@127.0.0.1:$pgport/$1?sslmode=disable"; }
newdb() {
	psql_on postgres "CREATE DATABASE $1 OWNER bench"
	[ -z "${STATEMENTS:-}" ] || psql_on "$1" "CREATE EXTENSION pg_stat_statements"
}
# statements DB NAME: with STATEMENTS=N, the N statements on DB that took
# the most time since the last call, into the notes; then resets the counts.
statements() {
	[ -n "${STATEMENTS:-}" ] || return 0
	{
		echo "$2: the $STATEMENTS statements that took the most time (calls, total ms, rows, query):"
		psql_on "$1" "SELECT calls, round(total_exec_time), rows, regexp_replace(left(query, 160), '\s+', ' ', 'g')
			FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
			ORDER BY total_exec_time DESC LIMIT $STATEMENTS" | sed 's/^/  /'
		psql_on "$1" "SELECT 'total: ' || sum(calls) || ' calls, ' || round(sum(total_exec_time)) || ' ms'
			FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())" | sed 's/^/  /'
	} >>"$work/notes"
	psql_on "$1" "SELECT pg_stat_statements_reset()" >/dev/null
}

# pg_cpu: CPU seconds the cluster used so far: the postmaster's own and its
# reaped children's (cutime, cstime), and its live children's.
pg_cpu() {
	python3 - "$postmaster" <<'EOF'
import os, sys
pm, total = sys.argv[1], 0
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        s = open("/proc/%s/stat" % pid).read()
    except OSError:
        continue
    f = s[s.rindex(")") + 2:].split()
    if pid == pm or f[1] == pm:
        total += sum(int(x) for x in f[11:15])  # utime stime cutime cstime
print(total / os.sysconf("SC_CLK_TCK"))
EOF
}

# proc_cpu PID: CPU seconds (user + system) PID used so far.
proc_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}

now() { date +%s.%N; }
since() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.2f", a - b }'; }

start_farm farm -feeds "$FEEDS" -items "$ITEMS" -size "$SIZE" -dups "$DUPS" -tracking "$TRACKING" \
	-bad 0 -period 0 -seed "$SEED"
farm=$addr

# config FILE STORE [N] [LINES...]: a --once config for the first N (FEEDS)
# feeds, with LINES added at the top.
config() {
	local file=$1 store=$2 n=${3:-$FEEDS}
	shift 3 || shift $#
	{
		echo "store: \"$store\""
		local line
		for line in "$@"; do echo "$line"; done
		echo "publish:"
		echo "  dir: public-$(basename "$file" .yaml)"
		echo "  base_url: http://127.0.0.1:8080/"
		echo "fetch:"
		echo "  concurrency: $CONCURRENCY"
		# Every farm feed is on one host:port, which per_host limits.
		echo "  per_host: $CONCURRENCY"
		echo "  jitter: 0s"
		echo "  allow_private_addresses: true"
		story_outputs
		FEEDS=$n feeds "http://$farm/feed/"
	} >"$file"
	check_config "$file" 2>"$file.check" || { cat "$file.check" >&2; exit 1; }
}

items_in() { # pg DB | sqlite FILE: the items stored
	case $1 in
	pg) psql_on "$2" "SELECT count(*) FROM items" ;;
	sqlite) python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM items").fetchone()[0])' "$2" ;;
	esac
}
size_of() { # pg DB | sqlite FILE: the store's size in MB
	case $1 in
	pg) psql_on "$2" "SELECT round(pg_database_size(current_database()) / 1e6, 1)" ;;
	sqlite) du -cb "$2" "$2"-wal "$2"-shm 2>/dev/null | awk 'END { printf "%.1f", $1 / 1e6 }' ;;
	esac
}

rows=()
# row NAME WALL APP_CPU PG_CPU FARM_BEFORE FARM_AFTER ITEMS STORE_MB [NEW]:
# a line of the summary; NEW (items) gives items/s.
row() {
	local r0 o0 n0 f0 b0 r1 o1 n1 f1 b1
	read -r r0 o0 n0 f0 b0 <<<"$5"
	read -r r1 o1 n1 f1 b1 <<<"$6"
	local ips=-
	[ -n "${9:-}" ] && [ "${9:-0}" -gt 0 ] && ips=$(awk -v n="$9" -v w="$2" 'BEGIN { printf "%.0f", n / w }')
	local total=$3
	[ "$4" != - ] && total=$(awk -v a="$3" -v b="$4" 'BEGIN { printf "%.2f", a + b }')
	rows+=("$(printf '%-26s %8.2f %8.2f %8s %8s %6d %6d %6d %9.1f %9s %8s %9s' "$1" "$2" "$3" "$4" "$total" \
		$((r1 - r0)) $((o1 - o0)) $((n1 - n0)) "$(awk -v b=$((b1 - b0)) 'BEGIN { print b / 1e6 }')" "$7" "$ips" "$8")")
	echo "${rows[-1]}" >&2
	[ $((f1 - f0)) -eq 0 ] || echo "$script: $1: the farm counted $((f1 - f0)) failed requests" >&2
}

# once NAME CONFIG KIND STORE [N]: a timed --once, its row; with N, the
# farm should see N requests.
once() {
	local name=$1 cfg=$2 kind=$3 st=$4 n=${5:-$FEEDS} before after pg0 pg1 wall cpu rss items0 items
	items0=$(items_in "$kind" "$st" 2>/dev/null || echo 0)
	before=$(farm_stats "$farm")
	pg0=$(pg_cpu)
	# Exit 1 (some feeds failed) is a finding to report, not the end.
	local code=0
	timed "$name" "$work/aggregator" --config "$cfg" --once --log-level info --log-format json \
		2>"$work/$name.log" || code=$?
	if [ "$code" -eq 1 ]; then
		notes "$name: --once exited 1: $(grep -v '^{' "$work/$name.log" | grep -m1 'failed'); errors:" \
			"$(grep -o '"err":"[^"]*"' "$work/$name.log" | sed 's/[0-9]\{3,\}/N/g' | sort | uniq -c | sort -rn | head -3 | tr -s ' \n' ' ')"
	elif [ "$code" -ne 0 ]; then
		echo "$script: $name: --once exited $code; its summary and last log lines:" >&2
		summary "$work/$name.log"
		grep '^{' "$work/$name.log" | grep -v '"msg":"fetched"' | tail -5 >&2
		exit 1
	fi
	pg1=$(pg_cpu)
	after=$(farm_stats "$farm")
	read -r wall cpu rss <<<"$(time_of "$name")"
	items=$(items_in "$kind" "$st")
	local pg=-
	[ "$kind" = pg ] && pg=$(awk -v a="$pg1" -v b="$pg0" 'BEGIN { printf "%.2f", a - b }')
	row "$name" "$wall" "$cpu" "$pg" "$before" "$after" "$items" "$(size_of "$kind" "$st")" $((items - items0))
	local req=$(($(cut -d' ' -f1 <<<"$after") - $(cut -d' ' -f1 <<<"$before")))
	[ "$req" -eq "$n" ] || echo "$script: $name: the farm saw $req requests for $n feeds" >&2
	echo "$name: peak RSS $((rss / 1024)) MiB" >>"$work/notes"
	[ "$kind" = pg ] && statements "$st" "$name"
	return 0
}

notes() { echo "$*" | tee -a "$work/notes" >&2; }
: >"$work/notes"

if has one; then
	echo "== one instance on PostgreSQL" >&2
	newdb one
	config "$work/one.yaml" "$(dsn one)" "$FEEDS" "instance: one"
	once "pg, one: cold" "$work/one.yaml" pg one
	one_items=$(items_in pg one)
	once "pg, one: warm" "$work/one.yaml" pg one
fi

# leader DB: the instance that leads on DB, "" when none does.
leader() {
	psql_on "$1" "SELECT coalesce(string_agg(substr(a.application_name, 12), ', '), '') FROM pg_locks l
		JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0
		AND l.objid = $((0x6c656164)) AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
}
# fetchers DB: the feeds by the instance that fetched them last.
fetchers() {
	psql_on "$1" "SELECT string_agg(fetched_by || ' ' || n, ', ' ORDER BY fetched_by)
		FROM (SELECT fetched_by, count(*) AS n FROM feeds GROUP BY 1) AS f"
}
cpu_sum() { awk '{ s += $1 } END { printf "%.2f", s }'; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }

if has once3; then
	echo "== $INSTANCES --once runs together on one PostgreSQL database" >&2
	newdb once3
	for i in $(seq "$INSTANCES"); do
		config "$work/once3-$i.yaml" "$(dsn once3)" "$FEEDS" "instance: once-$i"
	done
	# once3 NAME: the INSTANCES runs started together, timed each; their row.
	once3() {
		local name=$1 before after pg0 pg1 t0 wall i pid items0 items codes=() cpus=() walls=() fetched=()
		items0=$(items_in pg once3 2>/dev/null || echo 0)
		before=$(farm_stats "$farm")
		pg0=$(pg_cpu)
		t0=$(now)
		local pids=()
		for i in $(seq "$INSTANCES"); do
			timed "once3-$name-$i" "$work/aggregator" --config "$work/once3-$i.yaml" --once --log-level info \
				--log-format json 2>"$work/once3-$name-$i.log" &
			pids+=($!)
			track $!
		done
		for pid in "${pids[@]}"; do
			code=0
			wait "$pid" || code=$?
			untrack "$pid"
			codes+=("$code")
		done
		wall=$(since "$t0")
		pg1=$(pg_cpu)
		after=$(farm_stats "$farm")
		for i in $(seq "$INSTANCES"); do
			read -r w c _ <<<"$(time_of "once3-$name-$i")"
			walls+=("$w") cpus+=("$c")
			fetched+=("$(grep -c '"msg":"fetched"' "$work/once3-$name-$i.log" || true)")
		done
		items=$(items_in pg once3)
		row "pg, $INSTANCES × --once: $name" "$wall" "$(printf '%s\n' "${cpus[@]}" | cpu_sum)" "$(sub "$pg1" "$pg0")" \
			"$before" "$after" "$items" "$(size_of pg once3)" $((items - items0))
		notes "once3 $name: exit codes ${codes[*]}; wall per run ${walls[*]} s; CPU per run ${cpus[*]} s;" \
			"fetches per run (its log) ${fetched[*]}; farm requests $(($(cut -d' ' -f1 <<<"$after") - $(cut -d' ' -f1 <<<"$before"))) for $FEEDS feeds;" \
			"feeds by last fetcher: $(fetchers once3); $(psql_on once3 "SELECT count(*) FROM items WHERE placed = 0") of $items items left unplaced"
		if [ -n "${one_items:-}" ] && [ "$name" = cold ]; then
			notes "once3 cold: $items items stored against $one_items by one instance ($([ "$items" -eq "$one_items" ] && echo equal || echo DIFFERENT))"
		fi
		for i in $(seq "$INSTANCES"); do
			if [ "${codes[i - 1]}" -ne 0 ]; then
				notes "once3 $name: run $i exited ${codes[i - 1]}: $(grep -v '^{' "$work/once3-$name-$i.log" | head -3 | tr '\n' ' ')"
			fi
		done
		statements once3 "once3 $name"
	}
	once3 cold
	once3 warm
fi

if has daemons; then
	echo "== $INSTANCES daemons on one PostgreSQL database" >&2
	newdb fleet
	listens=()
	# fleet_config SCHEDULE: the daemons' configs.
	fleet_config() {
		local i
		for i in $(seq "$INSTANCES"); do
			config "$work/fleet-$i.yaml" "$(dsn fleet)" "$FEEDS" "instance: feeds-$i" "schedule: \"$1\"" \
				"server:" "  listen: ${listens[i - 1]}"
		done
	}
	for i in $(seq "$INSTANCES"); do listens+=("127.0.0.1:$(free_port)"); done
	fpids=()
	# fleet_cycle NAME: starts the daemons, waits until the farm saw FEEDS
	# more requests, every daemon is ready, no article waits to be placed,
	# and the site the leader stored did not change for 6 s (longer than
	# the leader's 5 s poll); then reads their CPU and stops them.
	fleet_cycle() {
		local name=$1 before pg0 pg1 t0 wall= i pid deadline=$((SECONDS + 3600))
		local items0
		items0=$(items_in pg fleet 2>/dev/null || echo 0)
		before=$(farm_stats "$farm")
		pg0=$(pg_cpu)
		t0=$(now)
		fpids=()
		for i in $(seq "$INSTANCES"); do
			"$work/aggregator" --config "$work/fleet-$i.yaml" --log-level info --log-format json \
				2>"$work/$name-$i.log" &
			fpids+=($!)
			track $!
		done
		local req0 ready unplaced version last_version= stable_since= t_fetched= t_ready=
		req0=$(cut -d' ' -f1 <<<"$before")
		while :; do
			for i in "${!fpids[@]}"; do alive "${fpids[i]}" "$work/$name-$((i + 1)).log"; done
			[ $SECONDS -lt $deadline ] || die "$name: not done after an hour"
			sleep 0.5
			if [ -z "$wall" ]; then
				if [ -z "$t_fetched" ]; then
					[ $(($(farm_stats "$farm" | cut -d' ' -f1) - req0)) -ge "$FEEDS" ] || continue
					t_fetched=$(since "$t0")
				fi
				if [ -z "$t_ready" ]; then
					ready=0
					for l in "${listens[@]}"; do curl -fs -o /dev/null -m 2 "http://$l/readyz" && ready=$((ready + 1)); done
					[ "$ready" -eq "$INSTANCES" ] || continue
					t_ready=$(since "$t0")
				fi
				unplaced=$(psql_on fleet "SELECT count(*) FROM items WHERE placed = 0")
				[ "$unplaced" -eq 0 ] || continue
				wall=$(since "$t0")
			fi
			version=$(psql_on fleet "SELECT value FROM settings WHERE key = 'site_version'")
			if [ "$version" != "$last_version" ]; then
				last_version=$version stable_since=$SECONDS
				continue
			fi
			[ $((SECONDS - stable_since)) -ge 6 ] && break
		done
		local cpus=() total=0 c
		for pid in "${fpids[@]}"; do
			c=$(proc_cpu "$pid")
			cpus+=("$c")
			total=$(awk -v a="$total" -v b="$c" 'BEGIN { printf "%.2f", a + b }')
		done
		pg1=$(pg_cpu)
		local after items
		after=$(farm_stats "$farm")
		items=$(items_in pg fleet)
		row "pg, $INSTANCES daemons: $name" "$wall" "$total" "$(sub "$pg1" "$pg0")" \
			"$before" "$after" "$items" "$(size_of pg fleet)" $((items - items0))
		local req=$(($(cut -d' ' -f1 <<<"$after") - req0))
		notes "daemons $name: every feed fetched after $t_fetched s, every daemon ready after $t_ready s, every article placed after $wall s;" \
			"CPU per daemon ${cpus[*]} s; fetches per daemon (its log) $(for i in $(seq "$INSTANCES"); do grep -c '"msg":"fetched"' "$work/$name-$i.log" || true; done | tr '\n' ' '); farm requests $req for $FEEDS feeds;" \
			"feeds by last fetcher: $(fetchers fleet);" \
			"leader: $(leader fleet)"
		if [ -n "${one_items:-}" ] && [ "$name" = cold ]; then
			notes "daemons cold: $items items stored against $one_items by one instance ($( [ "$items" -eq "$one_items" ] && echo equal || echo DIFFERENT))"
		fi
		statements fleet "daemons $name"
		for pid in "${fpids[@]}"; do kill -TERM "$pid"; done
		for pid in "${fpids[@]}"; do wait "$pid" || echo "$script: $name: a daemon exited $?" >&2; untrack "$pid"; done
	}
	fleet_config "@every 1h"
	fleet_cycle cold
	# Warm: started again with "@every 1m", every feed is due once a minute
	# boundary has passed since its last fetch, and at least half a minute
	# (a feed is never fetched twice within half its interval). Starting in
	# the second half of a minute, the boundary that follows comes less than
	# 30 s after any warm fetch, so no feed is fetched twice in the cycle
	# unless it lasts past the half minute after that boundary.
	last=$(date +%s)
	due=$(((last / 60 + 1) * 60))
	[ $((last + 31)) -gt "$due" ] && due=$((last + 31))
	while :; do
		t=$(date +%s)
		[ "$t" -ge "$due" ] && [ $((t % 60)) -ge 31 ] && [ $((t % 60)) -le 40 ] && break
		sleep 0.5
	done
	fleet_config "@every 1m"
	fleet_cycle warm
fi

if has sqlite; then
	echo "== one instance on SQLite" >&2
	config "$work/sqlite.yaml" sqlite.db
	once "sqlite: cold" "$work/sqlite.yaml" sqlite "$work/sqlite.db"
	once "sqlite: warm" "$work/sqlite.yaml" sqlite "$work/sqlite.db"
fi

if has small; then
	echo "== one instance on PostgreSQL, $MF_FEEDS feeds (beside Miniflux)" >&2
	newdb small
	config "$work/small.yaml" "$(dsn small)" "$MF_FEEDS" "instance: small"
	once "pg, one, $MF_FEEDS feeds: cold" "$work/small.yaml" pg small "$MF_FEEDS"
	once "pg, one, $MF_FEEDS feeds: warm" "$work/small.yaml" pg small "$MF_FEEDS"
fi

if has miniflux; then
	echo "== Miniflux on PostgreSQL, $MF_FEEDS feeds" >&2
	newdb miniflux
	mf_listen=127.0.0.1:$(free_port)
	closed=127.0.0.1:$(free_port) # nothing listens there
	mf_env=(DATABASE_URL="$(dsn miniflux)" LISTEN_ADDR="$mf_listen" BASE_URL="http://$mf_listen/"
		FETCHER_ALLOW_PRIVATE_NETWORKS=1 WORKER_POOL_SIZE="$CONCURRENCY" BATCH_SIZE="$MF_FEEDS"
		POLLING_LIMIT_PER_HOST=0 DISABLE_SCHEDULER_SERVICE=1 LOG_LEVEL=info
		HTTP_PROXY="http://$closed" HTTPS_PROXY="http://$closed" http_proxy="http://$closed" https_proxy="http://$closed")
	# The server, to make the admin and import the feeds; not measured.
	env "${mf_env[@]}" RUN_MIGRATIONS=1 CREATE_ADMIN=1 ADMIN_USERNAME=bench ADMIN_PASSWORD=bench-password \
		"$MINIFLUX" >"$work/miniflux-server.log" 2>&1 &
	mf_pid=$!
	track "$mf_pid"
	for _ in $(seq 300); do
		curl -fs -o /dev/null "http://$mf_listen/healthcheck" && break
		alive "$mf_pid" "$work/miniflux-server.log"
		sleep 0.2
	done
	python3 - "$farm" "$MF_FEEDS" >"$work/feeds.opml" <<'EOF'
import sys
farm, n = sys.argv[1], int(sys.argv[2])
print('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"><head><title>farm</title></head><body>')
for i in range(n):
    # htmlUrl as the feed's own <link>, as an export has it: Miniflux looks
    # for the site's icon there (through the closed proxy), not in the feed.
    print('<outline type="rss" text="feed %d" xmlUrl="http://%s/feed/%d" htmlUrl="https://news%d.example/"/>' % (i, farm, i, i))
print('</body></opml>')
EOF
	t0=$(now)
	curl -fsS -u bench:bench-password -X POST --data-binary @"$work/feeds.opml" \
		-H 'Content-Type: application/xml' "http://$mf_listen/v1/import" >"$work/import.json" ||
		die "miniflux: the import failed: $(cat "$work/import.json")"
	notes "miniflux: imported $MF_FEEDS feeds as OPML in $(since "$t0") s (stored, not fetched): $(cat "$work/import.json")"
	kill -TERM "$mf_pid"
	wait "$mf_pid" || true
	untrack "$mf_pid"
	# mf_refresh NAME: a timed `miniflux -refresh-feeds`, its row.
	mf_refresh() {
		local name=$1 before after pg0 pg1 wall cpu rss entries0 entries
		entries0=$(psql_on miniflux "SELECT count(*) FROM entries")
		before=$(farm_stats "$farm")
		pg0=$(pg_cpu)
		timed "$name" env "${mf_env[@]}" "$MINIFLUX" -refresh-feeds >"$work/$name.log" 2>&1 ||
			{ tail "$work/$name.log" >&2; die "$name: miniflux -refresh-feeds failed"; }
		pg1=$(pg_cpu)
		after=$(farm_stats "$farm")
		read -r wall cpu rss <<<"$(time_of "$name")"
		entries=$(psql_on miniflux "SELECT count(*) FROM entries")
		row "$name" "$wall" "$cpu" "$(awk -v a="$pg1" -v b="$pg0" 'BEGIN { printf "%.2f", a - b }')" \
			"$before" "$after" "$entries" "$(size_of pg miniflux)" $((entries - entries0))
		echo "$name: peak RSS $((rss / 1024)) MiB; $(grep -c 'Unable to refresh' "$work/$name.log" || true) feeds failed" >>"$work/notes"
		statements miniflux "$name"
	}
	mf_refresh "miniflux, $MF_FEEDS: cold"
	env "${mf_env[@]}" "$MINIFLUX" -reset-feed-next-check-at >"$work/miniflux-reset.log" 2>&1
	mf_refresh "miniflux, $MF_FEEDS: warm"
fi

echo
printf '%-26s %8s %8s %8s %8s %6s %6s %6s %9s %9s %8s %9s\n' phase wall_s app_cpu pg_cpu cpu_sum reqs 200s 304s served_MB items items/s store_MB
printf '%s\n' "${rows[@]}"
echo
cat "$work/notes"
