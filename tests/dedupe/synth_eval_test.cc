// Duplicate detection on synthetic residents: 10,000 people with ~2,000 injected duplicates
// carrying typical errors go through the registry's real matching (SQLite, the same SQL and
// scoring as ingest). Prints precision and recall and holds the goals (docs/dedupe.md).
#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <unordered_map>

#include "core/db.h"
#include "dedupe/registry.h"
#include "dedupe/synth.h"
#include "forms/id_number.h"
#include "tests/support/temp_dir.h"

using namespace yb;
using namespace yb::dedupe;

namespace {

struct Counts {
  int tp = 0, fp = 0, fn = 0, auto_tp = 0, auto_fp = 0, review = 0;
  std::map<std::string, std::pair<int, int>> by_error;  // error -> (found, total)
};

Counts evaluate(const synth::Options& o, db::Database& d) {
  auto people = synth::generate(o);
  SubjectRegistry reg;
  std::unordered_map<int64_t, int64_t> truth_of;  // subject -> truth
  std::unordered_map<int64_t, bool> seen;         // truth -> has a subject already
  Counts n;
  auto st = d.with_conn([&](db::Conn& c) -> Status {
    REQUIRE(c.begin().ok());
    int64_t t = 1'000;
    for (const auto& r : people) {
      Identity w = make_identity(r.name, r.id_number, r.birth_date, r.sex, r.phone, r.village);
      Provenance p{0, "synthetic", 0, ++t, r.village};
      auto l = reg.link_person(c, w, p, "main");
      REQUIRE(l.ok());
      const bool existed = seen[r.truth];
      int64_t matched = 0;
      if (l->how == "id" || l->how == "auto") matched = l->subject_id;
      if (l->how == "review") matched = l->candidate;
      if (l->how == "new" || l->how == "review") truth_of[l->subject_id] = r.truth;
      if (matched) {
        const bool right = truth_of[matched] == r.truth;
        (right ? n.tp : n.fp)++;
        if (l->how == "auto") (right ? n.auto_tp : n.auto_fp)++;
        if (l->how == "review") ++n.review;
        if (!right && existed) ++n.fn;
      } else if (existed) {
        ++n.fn;
      }
      if (r.duplicate) {
        for (const auto& e : r.errors) {
          auto& [found, total] = n.by_error[e];
          ++total;
          if (matched && truth_of[matched] == r.truth) ++found;
        }
      }
      seen[r.truth] = true;
    }
    return c.commit();
  });
  REQUIRE(st.ok());
  return n;
}

}  // namespace

TEST_CASE("synthetic residents: precision >= 0.99 and recall >= 0.95 on 10,000 with 2,000 dups") {
  test::TempDir dir;
  auto d = db::Database::open(dir.file("s.db"), {});
  REQUIRE(d.ok());
  synth::Options o;
  const Counts n = evaluate(o, **d);
  const double precision = n.tp + n.fp ? double(n.tp) / (n.tp + n.fp) : 0;
  const double recall = n.tp + n.fn ? double(n.tp) / (n.tp + n.fn) : 0;
  std::printf(
      "dedupe on %d residents + %d duplicates (seed %llu): precision %.4f recall %.4f "
      "(found %d, wrong %d, missed %d; automatic links %d right / %d wrong, %d to review)\n",
      o.residents, o.duplicates, static_cast<unsigned long long>(o.seed), precision, recall, n.tp,
      n.fp, n.fn, n.auto_tp, n.auto_fp, n.review);
  for (const auto& [e, ft] : n.by_error) {
    std::printf("  %-14s found %4d of %4d\n", e.c_str(), ft.first, ft.second);
  }
  CHECK(n.tp + n.fn >= o.duplicates * 9 / 10);  // the duplicates really are in the data
  CHECK(precision >= 0.99);
  CHECK(recall >= 0.95);
  const double auto_precision =
      n.auto_tp + n.auto_fp ? double(n.auto_tp) / (n.auto_tp + n.auto_fp) : 1.0;
  CHECK(auto_precision >= 0.99);
}

TEST_CASE("the generator is deterministic for a seed and its ID numbers are valid") {
  synth::Options o;
  o.residents = 300;
  o.duplicates = 60;
  auto a = synth::generate(o), b = synth::generate(o);
  REQUIRE(a.size() == 360);
  int minority = 0, no_id = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].name == b[i].name);
    CHECK(a[i].id_number == b[i].id_number);
    if (!a[i].duplicate) {
      if (a[i].id_number.empty()) {
        ++no_id;
      } else {
        CHECK(forms::parse_id_number(a[i].id_number).id.has_value());
      }
      if (a[i].name.find("\u00B7") != std::string::npos) ++minority;
    } else {
      CHECK(!a[i].errors.empty());
    }
  }
  CHECK(minority > 0);
  CHECK(no_id > 0);
}
