#!/usr/bin/env bash
# Starts the demo: the mock upstream systems (civil affairs, disabled persons' federation,
# medical insurance, rural revitalisation) on 127.0.0.1:18080 and the gateway with the demo
# county, connectors pointing at them. Ctrl-C stops both.
# usage: scripts/demo.sh BUILD_DIR DB LISTEN
set -euo pipefail
build=$1 db=$2 listen=$3
mkdir -p "$(dirname "$db")"
var=$(dirname "$db")
# The mock verifies the demo webhook signatures (admin/demo/secrets.json, demo only).
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["secrets"]; print(json.dumps({k[:-len("_webhook")]: v for k, v in s.items()}))' \
  admin/demo/secrets.json >"$var/mock-secrets.json"
"$build/tools/mock_upstream/mock-upstream" --listen 127.0.0.1:18080 --demo \
  --secrets-file "$var/mock-secrets.json" --log "$var/mock-upstream.jsonl" >"$var/mock-upstream.out" 2>&1 &
mock=$!
trap 'kill $mock 2>/dev/null; wait $mock 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 50); do grep -q listening "$var/mock-upstream.out" 2>/dev/null && break; sleep 0.1; done
echo "Demo upstream systems: http://127.0.0.1:18080/ (what each one received)"
"$build/gateway/yibiao" serve --db "$db" --listen "$listen" --demo
