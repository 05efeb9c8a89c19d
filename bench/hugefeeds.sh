#!/usr/bin/env bash
# Memory with huge feeds in flight: FEEDS loopback feeds of ITEMS items
# each, about 10 MB apiece (just under the 10 MiB fetch.max_body_size), all
# fetched by one `aggregator --once` on a fresh store. GNU time measures its
# wall time, CPU and peak RSS; fetch.max_parse_memory bounds how many of
# the bodies are parsed at once, and so the peak.
#
#   bench/hugefeeds.sh                        # 64 feeds × 100,000 items, default budget
#   FEEDS=8 bench/hugefeeds.sh                # a quick check
#   BUDGET=64MiB bench/hugefeeds.sh           # another fetch.max_parse_memory
#   CHUNKED=1 bench/hugefeeds.sh              # bodies without a Content-Length
#
# Each item is a title and a link (about 100 bytes); every feed has links of
# its own. The files are written once into the work folder and served by
# Python's http.server, with a Content-Length, or with CHUNKED=1 in chunked
# transfer encoding, so that the aggregator learns a body's size only once
# it has read it (as with gzip, which the Transport decompresses).
#
# Environment: FEEDS (64), ITEMS (100000), BUDGET (fetch.max_parse_memory;
# unset: the default), CHUNKED (unset), CONCURRENCY (8: fetch.concurrency and
# fetch.per_host, as all feeds are on one host), TARGET_MB (400), KEEP=1
# keeps the work folder.
#
# Loopback only. Needs go, python3 and GNU time (/usr/bin/time); Linux.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FEEDS=${FEEDS:-64}
ITEMS=${ITEMS:-100000}
BUDGET=${BUDGET:-}
CHUNKED=${CHUNKED:-}
CONCURRENCY=${CONCURRENCY:-8}
TARGET_MB=${TARGET_MB:-400}

need_gnu_time
setup
banner
build aggregator

mkdir "$work/feeds"
python3 - "$work/feeds" "$FEEDS" "$ITEMS" <<'EOF'
import os, sys
folder, feeds, items = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for n in range(feeds):
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
             f'<title>Huge feed {n}</title><link>http://f{n}.test/</link>\n']
    for k in range(items, 0, -1):
        parts.append(f'<item><title>Item {k} of huge feed {n}, a headline</title>'
                     f'<link>http://f{n}.test/{k}</link></item>\n')
    parts.append('</channel></rss>\n')
    with open(os.path.join(folder, f'{n}.xml'), 'w') as f:
        f.write(''.join(parts))
EOF
size=$(stat -c %s "$work/feeds/0.xml")
if ((size > 10 << 20)); then
	echo "hugefeeds.sh: a feed of $ITEMS items is $size bytes, over the default fetch.max_body_size (10 MiB)" >&2
	exit 1
fi

port=$(free_port)
python3 - "$work/feeds" "$port" "${CHUNKED:+chunked}" >"$work/server.log" 2>&1 <<'EOF' &
import functools, http.server, os, sys
folder, port, chunked = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "chunked"

class Chunked(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path = self.translate_path(self.path)
        if not os.path.isfile(path):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with open(path, "rb") as f:
            while chunk := f.read(64 << 10):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

handler = Chunked if chunked else http.server.SimpleHTTPRequestHandler
http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=folder)).serve_forever()
EOF
track $!
for _ in $(seq 100); do
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" 2>/dev/null && break
	sleep 0.1
done

{
	echo "store: huge.db"
	echo "publish:"
	echo "  dir: public"
	echo "fetch:"
	echo "  concurrency: $CONCURRENCY"
	echo "  per_host: $CONCURRENCY"
	echo "  allow_private_addresses: true"
	[ -n "$BUDGET" ] && echo "  max_parse_memory: $BUDGET"
	feeds "http://127.0.0.1:$port/" .xml
} >"$work/config.yaml"
check_config "$work/config.yaml"

echo "feeds: $FEEDS × $ITEMS items, $size bytes each${CHUNKED:+, chunked}; fetch concurrency $CONCURRENCY; fetch.max_parse_memory ${BUDGET:-default}"
timed_once once "$work/config.yaml"
read -r wall cpu rss <<<"$(time_of once)"
fetched=$(grep -c '"msg":"fetched"' "$work/once.log" || true)
if [ "$fetched" != "$FEEDS" ]; then
	echo "hugefeeds.sh: --once fetched $fetched of $FEEDS feeds; its summary:" >&2
	summary "$work/once.log"
	exit 1
fi
awk -v wall="$wall" -v cpu="$cpu" -v rss="$rss" -v target="$TARGET_MB" 'BEGIN {
	printf "--once: wall %.1f s, CPU %.1f s, peak RSS %.0f MiB = %.0f MB   target %d MB: %s\n",
		wall, cpu, rss / 1024, rss * 1024 / 1e6, target, rss * 1024 / 1e6 <= target ? "met" : "over"
}'
