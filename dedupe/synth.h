// A seeded generator of synthetic residents for tests and benchmarks: realistic Chinese names
// (incl. minority names with the middle dot), valid ID numbers, households, phones and
// addresses, plus injected duplicates carrying the errors cadres make (typo, transposed digits,
// 15-digit ID, traditional characters, missing dot, wrong birth date, different phone, no ID).
// Deterministic for a seed. Not used by the server.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace yb::dedupe::synth {

struct Resident {
  int64_t truth = 0;  // the real person: duplicates share their original's truth
  std::string name, id_number, birth_date, sex, phone, village, address;
  int64_t household = 0;  // synthetic household number
  bool duplicate = false;
  std::vector<std::string> errors;  // for duplicates: which errors were injected
};

struct Options {
  uint64_t seed = 20261128;
  int residents = 10'000;
  int duplicates = 2'000;
  int townships = 4;
  int villages_per_township = 5;
  double without_id = 0.08;  // share of originals recorded without an ID number (children)
};

// Originals first (in household order), then the duplicates in random order.
std::vector<Resident> generate(const Options& o);

// A valid ID number for a region, birth date ("YYYY-MM-DD"), sequence (0..999) and sex.
std::string make_id_number(const std::string& region6, const std::string& birth, int seq);

}  // namespace yb::dedupe::synth
