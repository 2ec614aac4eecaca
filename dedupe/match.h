// Scoring a probe (what was typed about a person) against a stored candidate. Pure.
//
// A valid normalised ID number decides on its own (see registry.h); this scorer handles the
// rest: an ID that fails its check but is one substitution or swap from a stored one, or no ID
// at all. Each piece of evidence adds or subtracts log-odds-like points; the total falls into
// one of three bands. docs/dedupe.md explains the weights and thresholds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace yb::dedupe {

// The identity fields of a person, normalised (make_identity).
struct Identity {
  std::string id_number;   // valid canonical 18 chars, or empty
  std::string id_typed;    // cleaned 18 chars that failed validation, or empty
  std::string name;        // canonical_name
  std::string name_key;    // name_key
  std::string birth_date;  // ISO or empty
  std::string sex;         // dictionary code "1" male, "2" female, or empty
  std::string phone;       // digits or empty
  std::string org_code;    // village (12 digits)
  int64_t household = 0;   // household subject id, 0 when unknown
};

// Normalises raw input. A valid ID fills in birth date and sex when they are missing.
Identity make_identity(std::string_view name, std::string_view id_number,
                       std::string_view birth_date, std::string_view sex, std::string_view phone,
                       std::string_view org_code);

// The matching block of an org unit: its township (first 9 digits of the 12-digit code).
std::string block_of(std::string_view org_code);

enum class Band { kNew, kReview, kAuto };
const char* to_string(Band b);  // "new", "review", "auto"

struct Thresholds {
  double auto_link = 11.0;  // at or above: the same person, linked without asking
  double review = 6.0;      // at or above (below auto_link): a county admin decides
};

struct Score {
  double total = 0;
  Band band = Band::kNew;
  std::vector<std::string> reasons;  // e.g. "name=+5.0", "birth_date=-4.0"
};

// `same_name_in_block`: how many stored persons in the block share the probe's name key
// (at least 1 when the names agree); common names weigh less.
Score score(const Identity& probe, const Identity& cand, int same_name_in_block,
            const Thresholds& t = {});

// Edit distance in code points, capped at 3 (names are short).
int name_distance(std::string_view a, std::string_view b);

}  // namespace yb::dedupe
