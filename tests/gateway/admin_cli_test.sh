#!/usr/bin/env bash
# The real binary's security and operations commands: `audit verify` passes on an intact chain
# and names the record after an edit or a delete made with sqlite3; `config export` → `config
# import` into an empty database → `config export` gives identical bytes; a dry run changes
# nothing; HTTPS with --tls-cert/--tls-key.
set -uo pipefail
bin=$1
tmp=$(mktemp -d); pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0; passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }
expect() { local want=$1; shift; "$@" >"$tmp/out" 2>&1; local rc=$?; [ "$rc" = "$want" ] && ok || bad "'$*' exited $rc, wanted $want: $(head -c 400 "$tmp/out")"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up() { for _ in $(seq 1 100); do curl -kfs "$1/healthz" >/dev/null && return 0; sleep 0.1; done; return 1; }

db=$tmp/g.db
port=$(free_port)
YIBIAO_ADMIN_PASSWORD=cli-Admin-pass-1 YIBIAO_DEMO_PASSWORD=cli-Demo-pass-1 \
  "$bin" serve --db "$db" --listen "127.0.0.1:$port" --demo --delivery-workers 0 >"$tmp/serve.out" 2>&1 &
pid=$!
up "http://127.0.0.1:$port" && ok || bad "serve did not come up: $(cat "$tmp/serve.out")"
for pw in wrong-1 cli-Demo-pass-1 wrong-2 cli-Demo-pass-1; do
  curl -s -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/sessions" -H 'Content-Type: application/json' \
    -d "{\"username\":\"cadre1\",\"password\":\"$pw\"}"
done
kill -TERM $pid; wait $pid; pid=

# audit verify: intact, then tampered
expect 0 "$bin" audit verify --db "$db"
grep -q 'intact: 4 records' "$tmp/out" && ok || bad "verify did not count the 4 logins: $(cat "$tmp/out")"
expect 2 "$bin" audit verify --db "$tmp/none.db"
expect 2 "$bin" audit verify
cp "$db" "$tmp/edit.db"
sqlite3 "$tmp/edit.db" "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET result='ok' WHERE seq=3;"
expect 1 "$bin" audit verify --db "$tmp/edit.db"
grep -q 'record 3' "$tmp/out" && ok || bad "edited record not named: $(cat "$tmp/out")"
cp "$db" "$tmp/del.db"
sqlite3 "$tmp/del.db" "DELETE FROM audit_log WHERE seq=2;" 2>/dev/null && bad "the trigger let a DELETE through" || ok
sqlite3 "$tmp/del.db" "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq=2;"
expect 1 "$bin" audit verify --db "$tmp/del.db"
grep -q 'record 2' "$tmp/out" && ok || bad "deleted record not named: $(cat "$tmp/out")"

# org units from CSV: dry run, import, idempotent re-import, bad lines named
printf '\xef\xbb\xbfcode,name,parent\r\n130111101000,冶河镇,\r\n130111101201,"北屯村, 一组",\r\n' >"$tmp/orgs.csv"
expect 0 "$bin" org import --db "$db" "$tmp/orgs.csv" --dry-run
grep -q '+ 130111101201 北屯村, 一组 (village, parent 130111101000)' "$tmp/out" && ok || bad "org dry run: $(cat "$tmp/out")"
expect 0 "$bin" org import --db "$db" "$tmp/orgs.csv"
grep -q '2 added' "$tmp/out" && ok || bad "org import: $(cat "$tmp/out")"
expect 0 "$bin" org import --db "$db" "$tmp/orgs.csv"
grep -q '0 added, 0 renamed, 2 unchanged' "$tmp/out" && ok || bad "org re-import changed something: $(cat "$tmp/out")"
printf '130111101202,好村\n1301111012,坏码\n' >"$tmp/orgs-bad.csv"
expect 1 "$bin" org import --db "$db" "$tmp/orgs-bad.csv"
grep -q 'line 2' "$tmp/out" && ok || bad "bad org line not named: $(cat "$tmp/out")"
expect 2 "$bin" org import --db "$db"

# config round trip through an empty database, with an upstream form registered by import
expect 0 "$bin" config export --db "$db" "$tmp/c1.json"
python3 - "$tmp/c1.json" "$tmp/c1up.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["upstream_forms"] = [{"id": "cl_cjr", "name": "残联 残疾人信息采集表", "system": "残联",
  "fields": [{"key": "xm", "label": "姓名"}, {"key": "sfzh", "label": "身份证号码"},
             {"key": "jhr", "label": "监护人"}],
  "mapping": {"xm": "person.name", "sfzh": "person.id_number"}}]
json.dump(c, open(sys.argv[2], "w"), ensure_ascii=False)
PY
expect 0 "$bin" config import --db "$db" "$tmp/c1up.json"
grep -q '+ upstream_forms cl_cjr' "$tmp/out" && ok || bad "upstream form not imported: $(cat "$tmp/out")"
expect 0 "$bin" config export --db "$db" "$tmp/c1.json"
grep -q '"cl_cjr"' "$tmp/c1.json" && ok || bad "export lacks the upstream form"
grep -q '"civil_affairs"' "$tmp/c1.json" && ok || bad "export lacks the connectors"
grep -q 'whsec_' "$tmp/c1.json" && bad "a secret value was exported" || ok
expect 0 "$bin" config import --db "$tmp/empty.db" "$tmp/c1.json" --dry-run
grep -q '+ connectors civil_affairs' "$tmp/out" && ok || bad "dry run shows no diff: $(cat "$tmp/out")"
expect 0 "$bin" config export --db "$tmp/empty.db" "$tmp/c0.json"
grep -q '"connectors": \[\]' "$tmp/c0.json" && ok || bad "the dry run changed the database"
expect 0 "$bin" config import --db "$tmp/empty.db" "$tmp/c1.json"
expect 0 "$bin" config export --db "$tmp/empty.db" "$tmp/c2.json"
cmp -s "$tmp/c1.json" "$tmp/c2.json" && ok || bad "round trip differs: $(diff "$tmp/c1.json" "$tmp/c2.json" | head -20)"
expect 0 "$bin" config import --db "$tmp/empty.db" "$tmp/c1.json"
grep -q 'no changes' "$tmp/out" && ok || bad "a second import changed something: $(cat "$tmp/out")"
expect 0 "$bin" audit verify --db "$tmp/empty.db"
echo '{"format":"yibiao-config/1","connectors":"x"}' >"$tmp/bad.json"
expect 1 "$bin" config import --db "$tmp/empty.db" "$tmp/bad.json"
grep -q 'connectors' "$tmp/out" && ok || bad "bad document not explained: $(cat "$tmp/out")"
echo '{nope' >"$tmp/bad2.json"
expect 1 "$bin" config import --db "$tmp/empty.db" "$tmp/bad2.json"
expect 1 "$bin" config import --db "$tmp/empty.db" "$tmp/missing.json"
expect 2 "$bin" config import --db "$tmp/empty.db"

# HTTPS
if command -v openssl >/dev/null; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 \
    -subj "/CN=127.0.0.1" >/dev/null 2>&1
  port=$(free_port)
  YIBIAO_ADMIN_PASSWORD=cli-Admin-pass-1 "$bin" serve --db "$tmp/tls.db" --listen "127.0.0.1:$port" \
    --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" >"$tmp/tls.out" 2>&1 &
  pid=$!
  up "https://127.0.0.1:$port" && ok || bad "HTTPS did not come up: $(cat "$tmp/tls.out")"
  grep -q "listening on https://" "$tmp/tls.out" && ok || bad "HTTPS not announced"
  curl -s "http://127.0.0.1:$port/healthz" >/dev/null && bad "plain HTTP answered on the TLS port" || ok
  kill -TERM $pid; wait $pid; pid=
  expect 1 "$bin" serve --db "$tmp/tls.db" --listen 127.0.0.1:0 --tls-cert "$tmp/none.pem" --tls-key "$tmp/key.pem"
  grep -qi 'tls' "$tmp/out" && ok || bad "bad certificate not explained: $(cat "$tmp/out")"
  expect 2 "$bin" serve --db "$tmp/tls.db" --listen 127.0.0.1:0 --tls-cert "$tmp/cert.pem"
fi
expect 2 "$bin" serve --db "$tmp/x.db" --audit-retention-days 30

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
