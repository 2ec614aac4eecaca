// bench/dedupe: with N persons stored in the subject registry (default 1,000,000), how long do
// an exact ID-number lookup and a fuzzy candidate search take? Prints p50/p99/max of each.
// The fuzzy probe is a stored person typed again without an ID number (name through the full
// normalisation incl. OpenCC, birth date, sex, village) — the search a form runs while typing.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <unordered_set>

#include <boost/program_options.hpp>

#include "core/db.h"
#include "dedupe/normalize.h"
#include "dedupe/registry.h"
#include "dedupe/synth.h"

namespace po = boost::program_options;
using namespace yb;
using Clock = std::chrono::steady_clock;

namespace {
struct Stats {
  double p50, p99, max;
};
Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))]; };
  return {at(0.5), at(0.99), v.back()};
}
}  // namespace

int main(int argc, char** argv) {
  po::options_description desc("bench/dedupe options");
  desc.add_options()("persons", po::value<int>()->default_value(1'000'000), "persons stored")(
      "queries", po::value<int>()->default_value(5'000), "lookups and searches, each")(
      "db", po::value<std::string>()->default_value(""),
      "database file (default: a temporary one, removed afterwards)")(
      "max-p99-ms", po::value<double>()->default_value(0), "exit 1 if a p99 is above (0: off)")(
      "help", "this text");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dedupe: %s\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::printf("%s", (std::ostringstream() << desc).str().c_str());
    return 0;
  }
  const int persons = vm["persons"].as<int>(), queries = vm["queries"].as<int>();
  std::string path = vm["db"].as<std::string>();
  const bool temp = path.empty();
  if (temp) {
    path = (std::filesystem::temp_directory_path() /
            ("yb-bench-dedupe-" + std::to_string(::getpid()) + ".db"))
               .string();
  }
  db::Options opts;
  auto d = db::Database::open(path, opts);
  if (!d) {
    std::fprintf(stderr, "dedupe: %s\n", d.error().message.en.c_str());
    return 1;
  }
  dedupe::SubjectRegistry reg;
  std::unordered_set<std::string> ids;
  std::vector<dedupe::synth::Resident> sample;
  std::mt19937_64 rng(7);
  const auto t0 = Clock::now();
  int stored = 0;
  for (uint64_t chunk = 0; stored < persons; ++chunk) {
    dedupe::synth::Options o;
    o.seed = 1000 + chunk;
    o.residents = std::min(50'000, persons - stored);
    o.duplicates = 0;
    o.townships = 40;  // a 1M register: 40 townships of 10 villages
    o.villages_per_township = 10;
    auto people = dedupe::synth::generate(o);
    auto st = (*d)->with_conn([&](db::Conn& c) -> Status {
      if (auto s = c.begin(); !s) return s;
      for (const auto& r : people) {
        if (!r.id_number.empty() && !ids.insert(r.id_number).second) continue;
        auto w =
            dedupe::make_identity(r.name, r.id_number, r.birth_date, r.sex, r.phone, r.village);
        auto id = reg.add_person(c, w, {0, "bench", 0, 1, r.village});
        if (!id) return id.error();
        ++stored;
        if (std::uniform_int_distribution<int>(0, persons / (queries * 2) + 1)(rng) == 0 &&
            !r.id_number.empty() && static_cast<int>(sample.size()) < queries) {
          sample.push_back(r);
        }
      }
      return c.commit();
    });
    if (!st) {
      std::fprintf(stderr, "dedupe: %s\n", st.error().message.en.c_str());
      return 1;
    }
  }
  const double load_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("dedupe: stored %d persons in %.1f s (%zu sampled for queries)\n", stored, load_s,
              sample.size());
  std::vector<double> exact, fuzzy;
  size_t fuzzy_found = 0;
  (*d)->with_conn([&](db::Conn& c) {
    for (const auto& r : sample) {
      std::string typed = r.id_number;
      std::transform(typed.begin(), typed.end(), typed.begin(),
                     [](char ch) { return ch == 'X' ? 'x' : ch; });
      auto a = Clock::now();
      auto norm = dedupe::normalize_id_number(typed);
      auto f =
          norm ? reg.find_by_id_number(c, *norm) : Result<std::optional<int64_t>>(std::nullopt);
      exact.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
      if (!f || !*f) std::fprintf(stderr, "dedupe: %s not found\n", r.id_number.c_str());
    }
    for (const auto& r : sample) {
      auto a = Clock::now();
      auto probe = dedupe::make_identity(r.name, "", r.birth_date, r.sex, "", r.village);
      auto cands = reg.candidates(c, probe, 10);
      fuzzy.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
      if (cands && !cands->empty()) ++fuzzy_found;
    }
    return 0;
  });
  if (temp) {
    d->reset();
    for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(path + ext);
  }
  const auto e = stats(exact), z = stats(fuzzy);
  std::printf(
      "dedupe: exact ID lookup   p50 %.3f ms  p99 %.3f ms  max %.3f ms  (%zu lookups)\n"
      "dedupe: fuzzy candidates  p50 %.3f ms  p99 %.3f ms  max %.3f ms  (%zu searches, %zu with "
      "a candidate)\n",
      e.p50, e.p99, e.max, exact.size(), z.p50, z.p99, z.max, fuzzy.size(), fuzzy_found);
  const double limit = vm["max-p99-ms"].as<double>();
  if (limit > 0 && (e.p99 > limit || z.p99 > limit)) {
    std::fprintf(stderr, "dedupe: p99 above %.1f ms\n", limit);
    return 1;
  }
  return 0;
}
