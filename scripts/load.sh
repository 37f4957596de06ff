#!/usr/bin/env bash
# The load benchmark (issue 16): `glasstls serve` against nginx (Debian's, on OpenSSL),
# configured alike — the same ECDSA P-256 certificate, TLS 1.3 only, x25519, two workers each,
# the same reply body (glasstls's /text page, served by nginx as a file) — on loopback, with
# standard load generators: wrk (new handshakes with `Connection: close`, and keep-alive
# requests, with p50/p99 latency), h2load (h2 requests), `openssl s_time -reuse` (resumed
# handshakes), h2load --h1 --rps (keep-alive latency at a fixed rate both servers carry), and
# Python's ssl module holding 10,000 idle connections while each server's resident memory is
# read. Prints a Markdown table for BENCHMARKS.md. Not a test: numbers vary with the machine,
# and the load generators share its cores with the servers.
#
#   bash scripts/load.sh            # 10 s per row; handshakes and keep-alive in 5 rounds
#   SECS=3 IDLE=2000 ROUNDS=1 bash scripts/load.sh   # quicker
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${SECS:-10}
IDLE=${IDLE:-10000}
ROUNDS=${ROUNDS:-5}
RATES=${RATES:-32000 48000}

missing=()
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${missing[@]}"
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

cargo build --release --locked -q -p glasstls-cli
GLASSTLS=$PWD/target/release/glasstls
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
G_PORT=$(free_port)
N_PORT=$(free_port)

start_glasstls() {
  : >"$work/glasstls.log"
  "$GLASSTLS" serve --listen 127.0.0.1:$G_PORT --cert "$work/cert.pem" --key "$work/key.pem" \
    --tls13 --group x25519 --workers 2 --max-connections 65536 --idle-timeout 600 \
    --log-format off 2>"$work/glasstls.log" &
  G_PID=$!
  until grep -q "listening on" "$work/glasstls.log" 2>/dev/null; do sleep 0.1; done
}
stop_glasstls() { kill "$G_PID"; wait "$G_PID" 2>/dev/null || true; }
start_glasstls

# nginx serves glasstls's own /text page as a file, so that both bodies are the same size.
mkdir -p "$work/www"
# nginx's workers run as an unprivileged user: they must be able to read the page.
chmod 755 "$work" "$work/www"
curl -sk --http1.1 "https://127.0.0.1:$G_PORT/text" > "$work/www/text"
chmod 644 "$work/www/text"
cat > "$work/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 40000; }
worker_rlimit_nofile 65536;
http {
  access_log off;
  default_type text/plain;
  keepalive_requests 1000000;
  keepalive_timeout 600s;
  client_header_timeout 600s;
  server {
    listen 127.0.0.1:$N_PORT ssl http2;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.3;
    ssl_ecdh_curve X25519;
    ssl_session_tickets on;
    ssl_session_cache shared:SSL:10m;
    root $work/www;
  }
}
EOF
start_nginx() {
  nginx -c "$work/nginx.conf" -p "$work" 2>>"$work/nginx-error.log" &
  until [ -f "$work/nginx.pid" ] && curl -sk "https://127.0.0.1:$N_PORT/text" >/dev/null 2>&1; do sleep 0.1; done
}
stop_nginx() {
  local pid
  pid=$(cat "$work/nginx.pid")
  kill -QUIT "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$work/nginx.pid"
}
start_nginx

# wrk's summary: requests/s, p50 and p99 latency (in ms).
wrk_row() {
  local out
  out=$(wrk -t2 -c32 -d"${SECS}s" --latency "$@" 2>&1)
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  echo "$rps $(ms "$p50") $(ms "$p99") ${errors:-}"
}
# "1.23ms" / "456.00us" / "1.2s" in milliseconds.
ms() { python3 -c 'import sys,re; v=sys.argv[1]; m=re.match(r"([0-9.]+)(us|ms|s)",v); print("-" if not m else round(float(m[1])*{"us":0.001,"ms":1,"s":1000}[m[2]],3))' "$1"; }

# HTTP/1.1 keep-alive at a fixed rate both servers can carry (h2load --h1, 32 clients, each
# at RATE/32 requests/s): p50 and p99 of every request's own time, from h2load's per-request log.
fixed_row() {
  local log="$work/fixed.log"
  rm -f "$log"
  h2load --h1 -c32 -t2 --rps=$(($2 / 32)) -D "$SECS" --log-file="$log" "https://127.0.0.1:$1/text" >/dev/null 2>&1
  python3 -c '
import sys
d = sorted(int(line.split()[2]) for line in open(sys.argv[1]) if line.split()[1] == "200")
n = len(d)
print(round(d[n // 2] / 1000, 3), round(d[min(n - 1, n * 99 // 100)] / 1000, 3))' "$log"
}

h2_row() {
  h2load -c32 -m10 -t2 -D "$SECS" "https://127.0.0.1:$1/text" 2>&1 | awk '/^finished in/ {print $4}' | tr -d ','
}

# Two `openssl s_time` at once (one per server worker), each connection fetching /text:
# handshakes per second, new (-new) or resumed from the first connection's session (-reuse).
stime_row() {
  local total=0 n pids=()
  for i in 1 2; do
    openssl s_time -connect "127.0.0.1:$1" -www /text "$2" -time "$SECS" >"$work/stime$i" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}" || true
  for i in 1 2; do
    n=$(awk '/connections in .* real seconds/ {print $1/$4}' "$work/stime$i" | head -1)
    total=$(python3 -c "print(round($total + ${n:-0}))")
  done
  echo "$total"
}

rss_kib() { # the resident memory of the processes given, summed, in KiB
  local sum=0
  for pid in "$@"; do sum=$((sum + $(awk '/VmRSS/ {print $2}' "/proc/$pid/status"))); done
  echo "$sum"
}
idle_row() { # PORT PIDS...: KiB per idle connection
  local port=$1; shift
  local before after
  before=$(rss_kib "$@")
  coproc HOLD { python3 scripts/idle_clients.py 127.0.0.1 "$port" "$IDLE"; }
  read -r ready count <&"${HOLD[0]}"
  sleep 1
  after=$(rss_kib "$@")
  exec {HOLD[1]}>&-
  wait "$HOLD_PID" 2>/dev/null || true
  python3 -c "print(round(($after - $before) / $count, 1), round($after/1024, 1))"
}

nginx_pids() { echo "$(cat "$work/nginx.pid") $(pgrep -P "$(cat "$work/nginx.pid")" | tr '\n' ' ')"; }

port_of() { if [ "$1" = nginx ]; then echo "$N_PORT"; else echo "$G_PORT"; fi; }

declare -A R
for who in glasstls nginx; do
  port=$(port_of $who)
  echo "$who: a connection per request" >&2
  R[$who,close]=$(wrk_row -H "Connection: close" "https://127.0.0.1:$port/text")
  echo "$who: h2" >&2
  R[$who,h2]=$(h2_row $port)
done

# Handshakes and keep-alive in rounds, the two servers alternating, each row the median round:
# the handshake rows move 10-25% run to run (s_time is one OpenSSL client per worker), and
# with wrk's threads and the servers' on two cores one run's p99 is mostly where the kernel's
# scheduler put its slices (1-4 ms either way).
for r in $(seq "$ROUNDS"); do
  for who in glasstls nginx; do
    port=$(port_of $who)
    echo "$who: handshakes and keep-alive, round $r of $ROUNDS" >&2
    stime_row $port -new >>"$work/new-$who"
    stime_row $port -reuse >>"$work/resumed-$who"
    wrk_row "https://127.0.0.1:$port/text" >>"$work/keep-$who"
  done
done
# Latency where neither server is saturated: the same offered load to both, alternating.
for rate in $RATES; do
  for r in $(seq "$ROUNDS"); do
    for who in glasstls nginx; do
      port=$(port_of $who)
      echo "$who: keep-alive at $rate requests/s, round $r of $ROUNDS" >&2
      fixed_row $port $rate >>"$work/fixed-$who-$rate"
    done
  done
done
median_by() { sort -n -k"$2" "$1" | sed -n "$(( (ROUNDS + 1) / 2 ))p"; }
for who in glasstls nginx; do
  for rate in $RATES; do
    R[$who,fixed,$rate]=$(median_by "$work/fixed-$who-$rate" 2)
  done
  R[$who,keep]=$(median_by "$work/keep-$who" 3)
  R[$who,new]=$(median_by "$work/new-$who" 1)
  R[$who,resumed]=$(median_by "$work/resumed-$who" 1)
  R[$who,keep99]=$(awk '{print $3}' "$work/keep-$who" | sort -n | tr '\n' ' ')
done

# Restarted first: memory the load rows took and the allocator kept would hide the idle
# connections' own.
for who in glasstls nginx; do
  port=$(port_of $who)
  echo "$who: $IDLE idle connections" >&2
  if [ $who = nginx ]; then
    stop_nginx; start_nginx
    R[$who,idle]=$(idle_row $port $(nginx_pids))
  else
    stop_glasstls; start_glasstls
    R[$who,idle]=$(idle_row $port $G_PID)
  fi
done

ratio() { python3 -c "a,b=float('$1' or 0),float('$2' or 0); print(f'{a/b:.2f}x' if b else '-')"; }
inv() { python3 -c "a,b=float('$1' or 0),float('$2' or 0); print(f'{b/a:.2f}x' if a else '-')"; }
read -r g_close g_close50 g_close99 g_close_err <<<"${R[glasstls,close]}"
read -r n_close n_close50 n_close99 n_close_err <<<"${R[nginx,close]}"
read -r g_keep g_keep50 g_keep99 g_keep_err <<<"${R[glasstls,keep]}"
read -r n_keep n_keep50 n_keep99 n_keep_err <<<"${R[nginx,keep]}"
read -r g_idle g_rss <<<"${R[glasstls,idle]}"
read -r n_idle n_rss <<<"${R[nginx,idle]}"
echo
echo "| row (TLS 1.3, ECDSA P-256, x25519, 2 workers, ${SECS} s) | glasstls serve | nginx $(nginx -v 2>&1 | sed 's/.*\///') | glasstls vs nginx |"
echo "|---|---:|---:|---:|"
echo "| new handshakes/s (2× openssl s_time -new; median of $ROUNDS alternating rounds) | ${R[glasstls,new]} | ${R[nginx,new]} | $(ratio "${R[glasstls,new]}" "${R[nginx,new]}") |"
echo "| resumed handshakes/s (2× openssl s_time -reuse; median of $ROUNDS) | ${R[glasstls,resumed]} | ${R[nginx,resumed]} | $(ratio "${R[glasstls,resumed]}" "${R[nginx,resumed]}") |"
echo "| a connection per request/s (wrk -c32, Connection: close; wrk resumes by ticket) | $g_close | $n_close | $(ratio "$g_close" "$n_close") |"
echo "| — p50 / p99 latency, ms | $g_close50 / $g_close99 | $n_close50 / $n_close99 | |"
echo "| keep-alive requests/s (wrk -c32; median of $ROUNDS by p99) | $g_keep | $n_keep | $(ratio "$g_keep" "$n_keep") |"
echo "| — p50 / p99 latency, ms | $g_keep50 / $g_keep99 | $n_keep50 / $n_keep99 | |"
echo "| — every round's p99, ms | ${R[glasstls,keep99]% } | ${R[nginx,keep99]% } | |"
for rate in $RATES; do
  read -r g50 g99 <<<"${R[glasstls,fixed,$rate]}"
  read -r n50 n99 <<<"${R[nginx,fixed,$rate]}"
  echo "| keep-alive at a fixed $rate requests/s (h2load --h1 -c32 --rps $((rate / 32))), p50 / p99, ms (median of $ROUNDS by p99) | $g50 / $g99 | $n50 / $n99 | |"
done
echo "| h2 requests/s (h2load -c32 -m10) | ${R[glasstls,h2]} | ${R[nginx,h2]} | $(ratio "${R[glasstls,h2]}" "${R[nginx,h2]}") |"
echo "| KiB per idle connection ($IDLE held; less is better) | $g_idle | $n_idle | $(inv "$g_idle" "$n_idle") |"
echo "| resident MiB holding them | $g_rss | $n_rss | |"
for e in "glasstls per request: $g_close_err" "nginx per request: $n_close_err" "glasstls keep-alive: $g_keep_err" "nginx keep-alive: $n_keep_err"; do
  [ "${e##*: }" != "" ] && echo "errors, $e"
done
true
