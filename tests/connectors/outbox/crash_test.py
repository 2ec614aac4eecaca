#!/usr/bin/env python3
"""End to end with the real binaries: yibiao and tools/mock_upstream over loopback.

1. kill -9 the gateway during a burst of submissions with deliveries in flight, restart it, and
   prove every accepted submission reaches every matching upstream, with a valid signature, and
   no upstream sees the same record under two delivery ids.
2. a slow upstream does not delay a fast one.

usage: crash_test.py YIBIAO MOCK_UPSTREAM DEMO_SECRETS_JSON
"""
import json, os, signal, socket, subprocess, sys, tempfile, threading, time, urllib.request, urllib.error

yibiao, mock_bin, demo_secrets = sys.argv[1:4]
tmp = tempfile.mkdtemp(prefix="yibiao-crash-")
HTTP = ["civil_affairs", "disabled_fed", "medical_insurance", "rural_revitalisation"]
failures = []
passes = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    (passes if cond else failures).append(what)


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def call(port, method, path, body=None, token=None, timeout=10):
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def start_mock(script):
    secrets = {k[: -len("_webhook")]: v for k, v in json.load(open(demo_secrets))["secrets"].items()}
    sf = os.path.join(tmp, "mock-secrets.json"); json.dump(secrets, open(sf, "w"))
    scf = os.path.join(tmp, "script.json"); json.dump(script, open(scf, "w"))
    log = os.path.join(tmp, f"mock-{time.time()}.jsonl")
    p = subprocess.Popen([mock_bin, "--listen", "127.0.0.1:0", "--log", log, "--secrets-file", sf,
                          "--script", scf], stdout=subprocess.PIPE, text=True)
    port = int(p.stdout.readline().strip().rsplit(":", 1)[1])
    return p, port, log


def start_gateway(db, port):
    env = dict(os.environ, YIBIAO_ADMIN_PASSWORD="crash-Admin-pass-1", YIBIAO_DEMO_PASSWORD="crash-Demo-pass-1")
    p = subprocess.Popen([yibiao, "serve", "--db", db, "--listen", f"127.0.0.1:{port}", "--demo",
                          "--log-level", "warn"], env=env, stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(tmp, "gateway.log"), "a"))
    for _ in range(200):
        try:
            if call(port, "GET", "/healthz")[0] == 200:
                return p
        except OSError:
            time.sleep(0.05)
    raise SystemExit("gateway did not start")


def login(port, user, pw):
    return call(port, "POST", "/api/v1/sessions", {"username": user, "password": pw})[1]["token"]


def sample(seed):
    out = subprocess.run([yibiao, "sample-answer", "--seed", str(seed)], capture_output=True, text=True, check=True)
    v = json.loads(out.stdout)["values"]
    # a household every demo HTTP upstream takes
    v.update({"welfare.low_income_status": "1", "risk.type": ["1"], "person.has_disability": True,
              "disability.type": "4", "disability.grade": "2"})
    v["disability.cert_number"] = v["person.id_number"] + "42"
    return v


def point_connectors_at(port, admin, mock_port):
    for c in HTTP:
        st, cur = call(port, "GET", f"/api/v1/admin/connectors/{c}", token=admin)
        cfg = cur["connector"]; cfg["url"] = f"http://127.0.0.1:{mock_port}/{c}"
        st, _ = call(port, "PUT", f"/api/v1/admin/connectors/{c}", cfg, token=admin)
        assert st == 200, st


def records(log):
    if not os.path.exists(log):
        return []
    return [json.loads(l) for l in open(log) if l.strip()]


def low(h):
    return {k.lower(): v for k, v in h.items()}


# ---- 1. crash in the middle of a burst ----
mock, mport, mlog = start_mock({"*": [{"status": 200, "delay_ms": 20}]})
db = os.path.join(tmp, "crash.db"); port = free_port()
gw = start_gateway(db, port)
admin = login(port, "admin", "crash-Admin-pass-1")
point_connectors_at(port, admin, mport)
time.sleep(2.5)  # the engine's connector snapshot refreshes
cadre = login(port, "cadre1", "crash-Demo-pass-1")
answers = [sample(s) for s in range(1, 161)]
accepted = {}  # client_id -> receipt
lock = threading.Lock()
killed = threading.Event()


def submitter(ids):
    for i in ids:
        if killed.is_set():
            return
        try:
            st, r = call(port, "POST", "/api/v1/submissions",
                         {"form": "resident_household", "client_id": f"crash-{i}", "values": answers[i]}, cadre, timeout=5)
        except OSError:
            return
        if st in (200, 201):
            with lock:
                accepted[f"crash-{i}"] = r


threads = [threading.Thread(target=submitter, args=(range(k, 160, 8),)) for k in range(8)]
for t in threads: t.start()
while len(accepted) < 80:
    time.sleep(0.01)
gw.send_signal(signal.SIGKILL); gw.wait(); killed.set()
for t in threads: t.join()
seen_before = len(records(mlog))
check(0 < seen_before, f"deliveries were in flight when the gateway was killed ({seen_before} received, {len(accepted)} answers accepted)")

gw = start_gateway(db, port)
expected = {d["id"]: d["connector"] for r in accepted.values() for d in r["deliveries"] if d["connector"] in HTTP and d["status"] == "pending"}
check(len(expected) == 4 * len(accepted), f"every accepted answer planned one delivery per HTTP upstream ({len(expected)})")
deadline = time.time() + 60
while time.time() < deadline:
    got = {low(r["headers"]).get("webhook-id") for r in records(mlog)}
    if expected.keys() <= got:
        break
    time.sleep(0.3)
recs = records(mlog)
ids = [low(r["headers"]).get("webhook-id") for r in recs]
missing = set(expected) - set(ids)
check(not missing, f"every accepted submission reached every matching upstream after the restart ({len(missing)} missing)")
by_payload = {}
for r, i in zip(recs, ids):
    by_payload.setdefault((r["path"], r["body"]), set()).add(i)
check(all(len(s) == 1 for s in by_payload.values()), "no upstream saw the same record under two delivery ids")
check(all(low(r["headers"]).get("idempotency-key") == low(r["headers"]).get("webhook-id") for r in recs),
      "every request carries its delivery id as Idempotency-Key")
check(all(r.get("signature_valid") is True for r in recs), "every signature verifies")
check(all(r["path"].lstrip("/") == expected.get(i, r["path"].lstrip("/")) for r, i in zip(recs, ids)),
      "each delivery went to its own upstream")
print(f"     {len(recs)} requests, {len(set(ids))} delivery ids, {len(recs) - len(set(ids))} resent after the crash with their original id", flush=True)
gw.send_signal(signal.SIGTERM); check(gw.wait(timeout=20) == 0, "the restarted gateway stops cleanly on SIGTERM")
mock.terminate(); mock.wait()

# ---- 2. a slow upstream does not delay a fast one ----
mock, mport, mlog = start_mock({"/civil_affairs": [{"status": 200, "delay_ms": 3000}], "*": [{"status": 200}]})
db = os.path.join(tmp, "slow.db"); port = free_port()
gw = start_gateway(db, port)
admin = login(port, "admin", "crash-Admin-pass-1")
point_connectors_at(port, admin, mport)
time.sleep(2.5)
cadre = login(port, "cadre1", "crash-Demo-pass-1")
t0 = time.time()
for i in range(20):
    st, _ = call(port, "POST", "/api/v1/submissions",
                 {"form": "resident_household", "client_id": f"slow-{i}", "values": answers[i]}, cadre)
    assert st == 201, st
fast_done = None
while time.time() - t0 < 20:
    paths = [r["path"] for r in records(mlog)]
    if all(paths.count("/" + c) >= 20 for c in HTTP[1:]):
        fast_done = time.time() - t0
        break
    time.sleep(0.05)
slow_count = [r["path"] for r in records(mlog)].count("/civil_affairs")
check(fast_done is not None and fast_done < 2.5,
      f"the fast upstreams got all 20 answers in {fast_done and round(fast_done, 2)} s while the slow one (3 s per answer) had {slow_count}")
gw.send_signal(signal.SIGTERM); gw.wait(timeout=30)
mock.terminate(); mock.wait()

print(f"{len(passes)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
