#!/usr/bin/env bash
# Compare the aggregator daemon's HTTP serving of a feed with nginx serving
# the same bytes as a static file (gzip_static on), with wrk.
#
#   bench/serve.sh            # from the module root; as root to apt-get what is missing
#
# It builds the aggregator, generates a 100-item RSS feed, runs --once to
# fill a store, starts the daemon on 127.0.0.1:18081, copies the daemon's
# /feeds/all.atom (and a gzip -9 copy) into an nginx root served on
# 127.0.0.1:18082, and runs wrk (2 threads, 32 connections, 10 s) against both:
# identity, gzip (Accept-Encoding: gzip) and revalidation (If-None-Match,
# each server's own ETag, answered 304). Loopback only; both servers are
# stopped on exit.
#
# Environment: DURATION (10s), THREADS (2), CONNS (32), GO (go).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
AGG_ADDR=127.0.0.1:18081
NGX_ADDR=127.0.0.1:18082

need() { # need CMD PACKAGE...: install the first package that works if CMD is missing
	local cmd=$1
	shift
	command -v "$cmd" >/dev/null && return
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		die "$cmd is missing and cannot be installed here (need root and apt-get)"
	fi
	for pkg in "$@"; do
		if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1; }; then
			command -v "$cmd" >/dev/null && return
		fi
	done
	die "could not install $cmd ($*)"
}
need nginx nginx-light nginx
need wrk wrk
need curl curl
NGINX=$(command -v nginx)

# nginx's workers read the work folder: it is in /tmp whatever TMPDIR
# says, and removed at exit whatever KEEP says.
KEEP=
setup /tmp

for addr in $AGG_ADDR $NGX_ADDR; do
	if curl -s -o /dev/null --max-time 1 "http://$addr/"; then
		die "something already listens on $addr"
	fi
done

echo "== build"
build aggregator

echo "== generate a 100-item feed"
mkdir -p "$work/data"
awk -v n=100 'BEGIN {
	srand(1)
	nw = split("the a of to in and for on with by at from as that said says will has have was were " \
		"is are be been not but or after before over government minister president talks summit " \
		"leader officials report reported police court city council market prices energy weather " \
		"storm election vote parliament border trade deal weapons train Russia Korea Ukraine China " \
		"Europe Pyongyang Moscow Seoul Tokyo Kyiv Washington Beijing London economy growth inflation " \
		"bank rate percent million billion year week Monday Tuesday Wednesday Thursday Friday " \
		"yesterday today according statement spokesperson agency football league match season club " \
		"coach injury final championship record", w, " ")
	print "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	print "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>"
	print "<title>Bench Wire</title><link>https://bench-wire.example/</link><description>Generated</description>"
	for (i = 0; i < n; i++) {
		day = 1 + i % 28; hour = 23 - int(i / 28) * 6 % 24
		printf "<item><title>%s</title>", sentence(6 + int(rand() * 6))
		printf "<link>https://bench-wire.example/2023/09/%02d/story-%d?utm_source=rss</link>", day, i
		printf "<guid isPermaLink=\"false\">bench-%d</guid>", i
		printf "<pubDate>%s, %02d Sep 2023 %02d:%02d:00 +0000</pubDate>", "Mon", day, hour, i % 60
		printf "<category>%s</category><category>%s</category>", w[1 + int(rand() * nw)], w[1 + int(rand() * nw)]
		printf "<description>&lt;p&gt;%s&lt;/p&gt;</description>", sentence(12 + int(rand() * 12))
		printf "<content:encoded><![CDATA["
		np = 1 + int(rand() * 2)
		for (p = 0; p < np; p++) printf "<p>%s %s</p>\n", sentence(8 + int(rand() * 12)), sentence(8 + int(rand() * 12))
		print "]]></content:encoded></item>"
	}
	print "</channel></rss>"
}
function sentence(k,   s, j, x) {
	for (j = 0; j < k; j++) {
		x = w[1 + int(rand() * nw)]
		if (j == 0) x = toupper(substr(x, 1, 1)) substr(x, 2)
		s = s (j ? " " : "") x
	}
	return s "."
}' >"$work/data/feed.rss"
cat >"$work/data/config.yaml" <<EOF
store: bench.db
server:
  listen: $AGG_ADDR
publish:
  dir: public
feeds:
  - url: feed.rss
outputs:
  - name: all
    title: Bench
EOF
"$work/aggregator" --config "$work/data/config.yaml" --once

echo "== start the daemon on $AGG_ADDR"
"$work/aggregator" --config "$work/data/config.yaml" >"$work/daemon.log" 2>&1 &
agg_pid=$!
track "$agg_pid"
await "http://$AGG_ADDR/feeds/all.atom" "$agg_pid" "$work/daemon.log"
# Let the daemon's first fetch and rebuild settle: wait for the same ETag twice.
prev=
for _ in $(seq 50); do
	tag=$(curl -sfI "http://$AGG_ADDR/feeds/all.atom" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
	[ -n "$tag" ] && [ "$tag" = "$prev" ] && break
	prev=$tag
	sleep 0.3
done

echo "== start nginx on $NGX_ADDR"
www=$work/www
mkdir -p "$www/feeds" "$work/nginx"
curl -sf "http://$AGG_ADDR/feeds/all.atom" -o "$www/feeds/all.atom"
gzip -9 -n -k "$www/feeds/all.atom"
touch -r "$www/feeds/all.atom" "$www/feeds/all.atom.gz"
chmod -R a+rX "$work"
cat >"$work/nginx/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
	types { application/atom+xml atom; }
	default_type application/octet-stream;
	charset utf-8;
	charset_types application/atom+xml;
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	open_file_cache max=100 inactive=60s;
	open_file_cache_valid 60s;
	client_body_temp_path $work/nginx/body;
	proxy_temp_path $work/nginx/proxy;
	fastcgi_temp_path $work/nginx/fastcgi;
	uwsgi_temp_path $work/nginx/uwsgi;
	scgi_temp_path $work/nginx/scgi;
	server {
		listen $NGX_ADDR;
		root $www;
		gzip_static on;
		gzip_vary on;
		add_header Cache-Control "public, max-age=900";
		add_header X-Content-Type-Options nosniff;
	}
}
EOF
"$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
ngx_pid=$!
track "$ngx_pid" QUIT
await "http://$NGX_ADDR/feeds/all.atom" "$ngx_pid" "$work/nginx/error.log"

# Both serve the same document, identity and gzip.
for addr in $AGG_ADDR $NGX_ADDR; do
	curl -sf "http://$addr/feeds/all.atom" | cmp -s - "$www/feeds/all.atom" ||
		die "$addr serves other bytes"
	curl -sf -H 'Accept-Encoding: gzip' "http://$addr/feeds/all.atom" | gzip -dc | cmp -s - "$www/feeds/all.atom" ||
		die "$addr serves other gzip bytes"
done
etag() { curl -sfI -H 'Accept-Encoding: gzip' "http://$1/feeds/all.atom" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}'; }
agg_tag=$(etag $AGG_ADDR)
ngx_tag=$(etag $NGX_ADDR)
for addr in $AGG_ADDR $NGX_ADDR; do
	tag=$agg_tag
	[ $addr = $NGX_ADDR ] && tag=$ngx_tag
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept-Encoding: gzip' -H "If-None-Match: $tag" "http://$addr/feeds/all.atom")
	[ "$code" = 304 ] || die "$addr answers $code to its own ETag $tag"
done

printf '\nfeed: %s bytes, gzip -9: %s bytes; %s CPUs; wrk -t%s -c%s -d%s\n' \
	"$(wc -c <"$www/feeds/all.atom")" "$(wc -c <"$www/feeds/all.atom.gz")" "$(nproc)" "$THREADS" "$CONNS" "$DURATION"
echo "aggregator headers (gzip):"
curl -sfI -H 'Accept-Encoding: gzip' "http://$AGG_ADDR/feeds/all.atom" | sed 's/^/    /'
echo "nginx headers (gzip):"
curl -sfI -H 'Accept-Encoding: gzip' "http://$NGX_ADDR/feeds/all.atom" | sed 's/^/    /'

# run ADDR HEADER...: prints "requests/s transfer/s"
run() {
	local addr=$1
	shift
	local args=()
	for h in "$@"; do args+=(-H "$h"); done
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "${args[@]}" "http://$addr/feeds/all.atom" >"$work/wrk.out"
	if grep -q 'Non-2xx or 3xx' "$work/wrk.out"; then
		echo "serve.sh: errors from $addr:" >&2
		cat "$work/wrk.out" >&2
	fi
	awk '/^Requests\/sec:/{r=$2} /^Transfer\/sec:/{t=$2} END{printf "%s %s", r, t}' "$work/wrk.out"
}

printf '\n%-10s  %22s  %22s  %7s\n' case "aggregator req/s (xfer)" "nginx req/s (xfer)" "agg/ngx"
for c in identity gzip 304; do
	case $c in
	identity) a=$(run $AGG_ADDR) n=$(run $NGX_ADDR) ;;
	gzip) a=$(run $AGG_ADDR 'Accept-Encoding: gzip') n=$(run $NGX_ADDR 'Accept-Encoding: gzip') ;;
	304)
		a=$(run $AGG_ADDR 'Accept-Encoding: gzip' "If-None-Match: $agg_tag")
		n=$(run $NGX_ADDR 'Accept-Encoding: gzip' "If-None-Match: $ngx_tag")
		;;
	esac
	read -r ar at <<<"$a"
	read -r nr nt <<<"$n"
	printf '%-10s  %12s (%8s)  %12s (%8s)  %7s\n' "$c" "$ar" "$at" "$nr" "$nt" \
		"$(awk -v a="$ar" -v n="$nr" 'BEGIN{printf "%.2f", a/n}')"
done
