#!/usr/bin/env bash
# The real yibiao binary: help, version, misspelled options, config files, `user add`, first-start
# admin, graceful shutdown on SIGTERM with a submission surviving it, thread names and priorities.
set -uo pipefail
bin=$1
tmp=$(mktemp -d); trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
pid=
fails=0; passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }
expect() { local want=$1; shift; "$@" >"$tmp/out" 2>&1; local rc=$?; [ "$rc" = "$want" ] && ok || bad "'$*' exited $rc, wanted $want: $(head -c 400 "$tmp/out")"; }

expect 0 "$bin" --help
grep -q -- '--listen' "$tmp/out" && grep -q -- '--demo' "$tmp/out" && ok || bad "--help lists no options"
expect 0 "$bin" --version
grep -Eq '^yibiao [0-9]+\.[0-9]+\.[0-9]+' "$tmp/out" && ok || bad "--version prints no version"
expect 2 "$bin" serve --lsten 127.0.0.1:0
grep -q 'lsten' "$tmp/out" && ok || bad "misspelled option not named: $(cat "$tmp/out")"
expect 2 "$bin" serve --threads many
grep -q 'threads' "$tmp/out" && ok || bad "bad number not named"
expect 2 "$bin" serve --listen nonsense
expect 2 "$bin" serve --writer-priority 21
grep -q 'writer-priority' "$tmp/out" && ok || bad "out-of-range --writer-priority not named: $(cat "$tmp/out")"
expect 2 "$bin" frobnicate
printf 'db = %s/x.db\nlistn = 127.0.0.1:0\n' "$tmp" >"$tmp/bad.conf"
expect 2 "$bin" serve --config "$tmp/bad.conf"
grep -q 'listn' "$tmp/out" && ok || bad "misspelled config key not named: $(cat "$tmp/out")"
expect 2 "$bin" serve --config "$tmp/missing.conf"

# user add: password on stdin; errors name the problem
echo 'operator-Pass-1' | expect 0 "$bin" user add --db "$tmp/u.db" --username ops1 --role system_admin
echo 'operator-Pass-1' | expect 1 "$bin" user add --db "$tmp/u.db" --username ops1 --role system_admin
grep -qi 'taken' "$tmp/out" && ok || bad "duplicate user not explained"
echo 'short' | expect 1 "$bin" user add --db "$tmp/u.db" --username ops2 --role cadre --org 999999999999
echo 'x' | expect 2 "$bin" user add --db "$tmp/u.db" --username ops3 --role overlord
expect 2 "$bin" user add --db "$tmp/u.db" --role cadre

# first start without YIBIAO_ADMIN_PASSWORD prints a generated admin password once
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/good.conf" <<CONF
db = $tmp/g.db
listen = 127.0.0.1:$port
threads = 8
CONF
env -u YIBIAO_ADMIN_PASSWORD YIBIAO_DEMO_PASSWORD=cli-Demo-pass-1 "$bin" serve --config "$tmp/good.conf" --demo >"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && ok || bad "serve did not come up: $(cat "$tmp/serve.err")"
pw=$(sed -n 's/.*shown only now: \(.*\)$/\1/p' "$tmp/serve.out" | head -n1)
[ -n "$pw" ] && ok || bad "no generated admin password printed: $(cat "$tmp/serve.out")"
grep -q 'cadre1' "$tmp/serve.out" && grep -q 'county1' "$tmp/serve.out" && ok || bad "demo logins not printed"
tok=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/sessions" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$pw\"}" | python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])')
[ -n "$tok" ] && ok || bad "generated admin password does not log in"
ctok=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/sessions" -H 'Content-Type: application/json' \
  -d '{"username":"cadre1","password":"cli-Demo-pass-1"}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])')
[ -n "$ctok" ] && ok || bad "demo cadre1 does not log in with YIBIAO_DEMO_PASSWORD"
# Threads are named, and the database writer runs --writer-priority steps (default 10) above
# the rest, which keep the process's own priority; raising needs root (CAP_SYS_NICE), and
# without it the writer stays at the process's priority and a warning says why.
# prints "<name> <nice>" per thread of process $1 (names here hold no spaces)
threads_of() { for t in /proc/$1/task/*; do echo "$(cat "$t/comm") $(awk '{print $19}' "$t/stat")"; done; }
check_threads() {  # pid, writer priority, http threads, delivery threads, its stderr, its uid
  local uid=${6:-$(id -u)}
  local base; base=$(awk '{print $19}' /proc/$1/stat)
  threads_of "$1" >"$tmp/threads"
  [ "$(grep -c '^yb-http ' "$tmp/threads")" = "$3" ] && ok || bad "not $3 yb-http threads: $(sort "$tmp/threads" | uniq -c)"
  [ "$(grep -c '^yb-deliver ' "$tmp/threads")" = "$4" ] && ok || bad "not $4 yb-deliver threads: $(sort "$tmp/threads" | uniq -c)"
  grep -E '^yb-(http|deliver|checkpoint|recorder|scheduler) ' "$tmp/threads" | grep -qv " $base\$" && bad "a thread not at the process's nice $base: $(sort "$tmp/threads" | uniq -c)" || ok
  local want=$base
  if [ "$uid" = 0 ]; then want=$((base - $2)); [ "$want" -lt -20 ] && want=-20; fi
  grep -qx "yb-writer $want" "$tmp/threads" && ok || bad "writer not at nice $want: $(sort "$tmp/threads" | uniq -c)"
  if [ "$uid" = 0 ]; then grep -q 'CAP_SYS_NICE' "$5" && bad "warned about priority as root" || ok
  else grep -q 'CAP_SYS_NICE' "$5" && ok || bad "no warning that the writer could not be raised"; fi
}
check_threads $pid 10 8 32 "$tmp/serve.err"
# graceful shutdown: a request in flight when SIGTERM arrives still completes
kill -TERM $pid
wait $pid; rc=$?
[ "$rc" = 0 ] && ok || bad "SIGTERM exit code $rc"
grep -q 'stopped cleanly' "$tmp/serve.err" && ok || bad "no clean stop logged: $(tail -3 "$tmp/serve.err")"
grep -q 'POST /api/v1/sessions 200' "$tmp/serve.err" && ok || bad "request not logged"
grep -q "$pw" "$tmp/serve.err" && bad "password in the log" || ok
pid=
# a second start does not create admin again nor print a password
env -u YIBIAO_ADMIN_PASSWORD "$bin" serve --config "$tmp/good.conf" --writer-priority 3 \
  --delivery-workers 2 >"$tmp/serve2.out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
grep -q 'shown only now' "$tmp/serve2.out" && bad "second start printed a password" || ok
check_threads $pid 3 8 2 "$tmp/serve2.out"
kill -INT $pid; wait $pid; pid=
# Run as root (as CI is), the unprivileged start too: the same binary as `nobody`, with no
# capabilities, where that user can reach the binary (a clone under /root it cannot).
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && "${as_nobody[@]}" test -x "$bin"; then
  chmod 755 "$tmp"; mkdir "$tmp/nobody"; chown nobody:nogroup "$tmp/nobody"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  YIBIAO_ADMIN_PASSWORD=cli-Nobody-pass-1 "${as_nobody[@]}" "$bin" serve --db "$tmp/nobody/n.db" \
    --listen "127.0.0.1:$port" --threads 8 >"$tmp/serve3.out" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && ok || bad "serve as nobody did not come up: $(tail -5 "$tmp/serve3.out")"
  [ "$(awk '/^Uid:/{print $2}' /proc/$pid/status)" != 0 ] && ok || bad "the unprivileged start ran as root"
  check_threads $pid 10 8 32 "$tmp/serve3.out" "$(awk '/^Uid:/{print $2}' /proc/$pid/status)"
  kill -INT $pid; wait $pid; pid=
else
  echo "note: the unprivileged start is not checked (not root, no setpriv, or nobody cannot reach $bin)"
fi

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
