// The benchmarks' load generator (bench/loadgen.h) against small real servers on loopback:
// an open loop counts a request's latency from when it fell due, so a server that cannot keep
// up is charged for the wait it causes (a closed loop is not); an open loop a server keeps up
// with sends exactly what fell due; a free connection the server closes is replaced.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include <httplib.h>

#include "bench/loadgen.h"
#include "tests/support/test_server.h"

using yb::bench::LoadResult;
using yb::bench::run_load;

namespace {

// A server that answers POST /x with 201 after `service` (the time a slow upstream takes: what
// the load generator must account for), closing connections left idle for keep_alive_s.
yb::test::TestServer serve(std::chrono::milliseconds service, int keep_alive_s = 5) {
  return yb::test::TestServer([=](httplib::Server& srv) {
    srv.set_keep_alive_timeout(keep_alive_s);
    srv.Post("/x", [service](const httplib::Request&, httplib::Response& res) {
      if (service.count() > 0) std::this_thread::sleep_for(service);
      res.status = 201;
      res.set_content("{}", "application/json");
    });
  });
}

std::string request(int, long) { return yb::bench::json_post("/x", "token", "{}"); }

}  // namespace

TEST_CASE("an open loop charges a server that falls behind for the wait; a closed loop cannot") {
  // One connection to a server that takes 20 ms an answer: at most 50 answers a second.
  const auto slow = serve(std::chrono::milliseconds(20));

  const LoadResult closed = run_load("127.0.0.1", slow.port(), 1, 0.5, request, 201);
  CHECK(closed.bad == 0);
  REQUIRE(closed.ok > 0);
  CHECK(closed.ok <= 27);  // 0.5 s / 20 ms, and the answer in flight at the end
  CHECK(closed.latency_ms.front() >= 19.0);
  // Each request is sent only once the previous answer is in: it never waits to be sent.
  CHECK(closed.latency_ms.back() < 500);
  CHECK(closed.due == 0);

  // 200 a second offered for 0.5 s: about 100 fall due, 4 times what the server can take.
  const LoadResult open = run_load("127.0.0.1", slow.port(), 1, 0.5, request, 201, {}, 200);
  CHECK(open.bad == 0);
  CHECK(open.due > 40);
  CHECK(open.due < 200);
  CHECK(open.ok == open.due);  // what fell due before the end is still sent and answered
  CHECK(open.max_backlog >= 10);
  // The last ones fell due near 0.5 s and waited behind the rest, ~20 ms each: their latency
  // counts that wait, not just their own 20 ms.
  CHECK(open.latency_ms.back() > 500);
  CHECK(open.seconds > 1.0);
}

TEST_CASE("an open loop a server keeps up with sends what fell due, when it fell due") {
  const auto fast = serve(std::chrono::milliseconds(0));
  const LoadResult r = run_load("127.0.0.1", fast.port(), 4, 0.5, request, 201, {}, 400);
  CHECK(r.bad == 0);
  CHECK(r.first_bad.empty());
  CHECK(r.due > 100);  // Poisson arrivals: 200 expected
  CHECK(r.due < 300);
  CHECK(r.ok == r.due);
  CHECK(r.latency_ms.size() == static_cast<size_t>(r.ok));
  CHECK(r.seconds >= 0.5);
  CHECK(r.seconds < 1.5);
  // Four connections at ~2 ms an answer keep up: requests rarely find them all busy.
  CHECK(r.max_backlog < 40);
  CHECK(r.reconnects == 0);
}

TEST_CASE("an open loop replaces a free connection the server closed, without an error") {
  // 8 connections taking turns at 4 requests a second: each stays free ~2 s, past the
  // server's 1 s keep-alive timeout, so the server closes them between requests.
  const auto s = serve(std::chrono::milliseconds(0), /*keep_alive_s=*/1);
  const LoadResult r = run_load("127.0.0.1", s.port(), 8, 3.0, request, 201, {}, 4);
  CHECK(r.bad == 0);
  CHECK(r.first_bad.empty());
  CHECK(r.due > 0);
  CHECK(r.ok == r.due);
  CHECK(r.reconnects > 0);
}

TEST_CASE("a warm-up is neither counted nor timed, in both loops") {
  const auto fast = serve(std::chrono::milliseconds(0));
  int calls = 0;
  const yb::bench::Warmup warmup{0.3, [&] { ++calls; }};
  const LoadResult closed = run_load("127.0.0.1", fast.port(), 2, 0.3, request, 201, warmup);
  CHECK(calls == 1);
  CHECK(closed.bad == 0);
  CHECK(closed.ok > 0);
  CHECK(closed.seconds < 1.0);  // the measured part only

  const LoadResult open = run_load("127.0.0.1", fast.port(), 2, 0.3, request, 201, warmup, 200);
  CHECK(calls == 2);
  CHECK(open.bad == 0);
  CHECK(open.ok == open.due);
  CHECK(open.due < 120);  // ~60 expected in 0.3 s; the warm-up's ~60 are not counted
  CHECK(open.seconds < 1.0);
}
