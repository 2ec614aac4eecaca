// The connector store's cached snapshot: past its time it is reloaded by one caller while the
// others go on with the one they had; a change made here is seen at once all the same.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "connectors/connector.h"
#include "connectors/outbox/store.h"
#include "core/clock.h"
#include "core/db.h"
#include "core/event.h"
#include "tests/support/temp_dir.h"

using namespace yb;
using Json = nlohmann::json;

namespace {

Json config(const std::string& id) {
  return Json{{"id", id},
              {"type", "http_json"},
              {"name", {{"zh-CN", "民政"}, {"en", "Civil affairs"}}},
              {"url", "https://mz.example.gov.cn/api"},
              {"mapping", {{"fields", Json::array({{{"to", "xm"}, {"from", "person.name"}}})}}}};
}

// Every load of the store asks for the dictionary: this provider counts those calls and, once
// armed, holds the first one until released, so a test can look at the store mid-load.
class Gate {
 public:
  std::shared_ptr<const forms::Dictionary> enter() {
    ++calls_;
    if (armed_ && !taken_.exchange(true)) {
      held_.set();
      released_.wait();
    }
    return nullptr;
  }
  void arm() { armed_ = true; }
  void wait_held() { held_.wait(); }
  void release() { released_.set(); }
  int calls() const { return calls_; }

 private:
  std::atomic<int> calls_{0};
  std::atomic<bool> armed_{false}, taken_{false};
  Event held_, released_;
};

struct Fixture {
  test::TempDir dir;
  std::unique_ptr<db::Database> db;
  connectors::ConnectorRegistry registry;
  ManualClock clock;
  Gate gate;
  std::unique_ptr<connectors::ConnectorStore> store;
  Fixture() {
    auto d = db::Database::open(dir.file("s.db"), {});
    REQUIRE(d.ok());
    db = std::move(*d);
    connectors::register_builtin_connectors(registry);
    store = std::make_unique<connectors::ConnectorStore>(
        *db, registry, [this] { return gate.enter(); }, clock);
    REQUIRE(store->put(config("civil")).ok());
  }
};

}  // namespace

TEST_CASE("a snapshot past its time is reloaded once while the other callers keep the old one") {
  Fixture f;
  auto first = f.store->snapshot();
  REQUIRE(first.ok());
  REQUIRE((*first)->size() == 1);
  const int loads_before = f.gate.calls();
  auto again = f.store->snapshot();  // within its time: no load
  REQUIRE(again.ok());
  CHECK(again->get() == first->get());
  CHECK(f.gate.calls() == loads_before);

  f.clock.advance_ms(connectors::ConnectorStore::kTtlMs + 1);
  f.gate.arm();
  connectors::Snapshot reloaded;
  std::thread reloader([&] {
    auto s = f.store->snapshot();
    REQUIRE(s.ok());
    reloaded = *s;
  });
  f.gate.wait_held();
  // Mid-reload: the others are answered with the snapshot being replaced, without a load.
  for (int i = 0; i < 3; ++i) {
    auto s = f.store->snapshot();
    REQUIRE(s.ok());
    CHECK(s->get() == first->get());
  }
  CHECK(f.gate.calls() == loads_before + 1);
  f.gate.release();
  reloader.join();
  REQUIRE(reloaded);
  CHECK(reloaded.get() != first->get());
  CHECK(reloaded->size() == 1);
  // The reload is what later callers get, with no further load.
  auto after = f.store->snapshot();
  REQUIRE(after.ok());
  CHECK(after->get() == reloaded.get());
  CHECK(f.gate.calls() == loads_before + 1);
}

TEST_CASE("a change made here is seen at once even while a reload is under way") {
  Fixture f;
  REQUIRE(f.store->snapshot().ok());
  f.clock.advance_ms(connectors::ConnectorStore::kTtlMs + 1);
  f.gate.arm();
  std::thread reloader([&] { CHECK(f.store->snapshot().ok()); });
  f.gate.wait_held();
  REQUIRE(f.store->put(config("health")).ok());
  auto s = f.store->snapshot();  // loads for itself: the change invalidated what is cached
  REQUIRE(s.ok());
  CHECK((*s)->size() == 2);
  auto paused = f.store->set_paused("civil", true, "test");
  REQUIRE(paused.ok());
  auto civil = f.store->get("civil");
  REQUIRE(civil.ok());
  CHECK(civil->paused);
  f.gate.release();
  reloader.join();
  // The reload that began before the changes is not kept in place of what they made.
  auto later = f.store->snapshot();
  REQUIRE(later.ok());
  CHECK((*later)->size() == 2);
  auto civil_later = f.store->get("civil");
  REQUIRE(civil_later.ok());
  CHECK(civil_later->paused);
}
