#include "dedupe/normalize.h"

#include <opencc/opencc.h>
#include <unicode/translit.h>
#include <unicode/unistr.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dedupe/names.h"
#include "forms/normalize.h"

namespace yb::dedupe {
namespace {

// One OpenCC converter for the process. OpenCC's converter is not documented as thread-safe,
// so conversions are serialised. Names repeat (a village has a few hundred; each person is
// stated again and again), so results are remembered: a conversion costs a few microseconds and
// the lock, a remembered one a shared lock and a hash lookup. The memo is bounded: when it is
// full it starts afresh.
class Simplifier {
 public:
  Simplifier() {
    od_ = opencc_open("t2s.json");
    if (od_ == reinterpret_cast<opencc_t>(-1)) {
      od_ = nullptr;
      std::fprintf(stderr,
                   "yibiao: OpenCC t2s.json unavailable (%s); traditional characters "
                   "will not be simplified\n",
                   opencc_error());
    }
  }
  ~Simplifier() {
    if (od_) opencc_close(od_);
  }
  std::string convert(std::string_view s) {
    if (!od_ || s.empty()) return std::string(s);
    // Pure ASCII needs no conversion.
    bool ascii = true;
    for (char c : s) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    if (ascii) return std::string(s);
    if (s.size() > kMemoMaxKey) return convert_now(s);
    {
      std::shared_lock lock(memo_mu_);
      if (auto it = memo_.find(s); it != memo_.end()) return it->second;
    }
    std::string r = convert_now(s);
    std::unique_lock lock(memo_mu_);
    if (memo_.size() >= kMemoMaxEntries) memo_.clear();
    memo_.emplace(std::string(s), r);
    return r;
  }

 private:
  static constexpr size_t kMemoMaxKey = 64;  // bytes: names and short phrases only
  static constexpr size_t kMemoMaxEntries = 20000;

  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view v) const { return std::hash<std::string_view>{}(v); }
  };

  std::string convert_now(std::string_view s) {
    std::lock_guard lock(mu_);
    char* out = opencc_convert_utf8(od_, s.data(), s.size());
    if (!out) return std::string(s);
    std::string r(out);
    opencc_convert_utf8_free(out);
    return r;
  }

  std::mutex mu_;
  opencc_t od_ = nullptr;
  std::shared_mutex memo_mu_;
  std::unordered_map<std::string, std::string, Hash, std::equal_to<>>
      memo_;  // GUARDED_BY(memo_mu_)
};

Simplifier& simplifier() {
  static Simplifier s;
  return s;
}

// One ICU transliterator for the process, used under a lock (an ICU Transliterator is not safe
// for concurrent use), its results remembered like the Simplifier's.
class Pinyin {
 public:
  Pinyin() {
    UErrorCode e = U_ZERO_ERROR;
    t_.reset(icu::Transliterator::createInstance("Han-Latin/Names; Latin-ASCII; Lower",
                                                 UTRANS_FORWARD, e));
    if (U_FAILURE(e)) {
      t_.reset();
      std::fprintf(stderr,
                   "yibiao: ICU Han-Latin unavailable (%s); names are not compared by sound\n",
                   u_errorName(e));
    }
  }
  std::string of(std::string_view key) {
    if (!t_ || key.empty() || key.size() > kMaxKey) return "";
    std::lock_guard lock(mu_);
    if (auto it = memo_.find(std::string(key)); it != memo_.end()) return it->second;
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(
        icu::StringPiece(key.data(), static_cast<int32_t>(key.size())));
    t_->transliterate(u);
    std::string latin, out;
    u.toUTF8String(latin);
    for (char c : latin) {
      if (c >= 'a' && c <= 'z') out.push_back(c);
    }
    if (memo_.size() >= kMaxEntries) memo_.clear();
    memo_.emplace(std::string(key), out);
    return out;
  }

 private:
  static constexpr size_t kMaxKey = 128;
  static constexpr size_t kMaxEntries = 20000;
  std::mutex mu_;
  std::unique_ptr<icu::Transliterator> t_;
  std::unordered_map<std::string, std::string> memo_;  // GUARDED_BY(mu_)
};

Pinyin& pinyin() {
  static Pinyin p;
  return p;
}

}  // namespace

std::optional<std::string> normalize_id_number(std::string_view input) {
  auto p = forms::parse_id_number(input);
  if (!p.id) return std::nullopt;
  return p.id->value;
}

std::string clean_id_number(std::string_view input) {
  if (input.size() > 128) return "";
  const std::string folded = forms::fold_fullwidth(input);
  std::string s;
  for (char c : folded) {
    if (c == ' ' || c == '-' || c == '\t') continue;
    s.push_back(c == 'x' ? 'X' : c);
  }
  auto digits = [&](size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
    }
    return true;
  };
  if (s.size() == 15 && digits(15)) {
    s = s.substr(0, 6) + "19" + s.substr(6);
    s.push_back(forms::id_check_char(s));
    return s;
  }
  if (s.size() == 18 && digits(17) && ((s[17] >= '0' && s[17] <= '9') || s[17] == 'X')) return s;
  return "";
}

std::string to_simplified(std::string_view text) { return simplifier().convert(text); }

std::string canonical_name(std::string_view name) { return to_simplified(normalize_name(name)); }

std::string name_pinyin(std::string_view name_key) { return pinyin().of(name_key); }

std::string name_key(std::string_view name) {
  return name_without_separators(canonical_name(name));
}

std::optional<std::string> normalize_phone(std::string_view input) {
  return forms::normalize_phone(input);
}

std::optional<std::string> normalize_date(std::string_view input) {
  return forms::normalize_date(input);
}

int id_distance(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return 2;
  std::vector<size_t> diff;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) {
      diff.push_back(i);
      if (diff.size() > 2) return 2;
    }
  }
  if (diff.empty()) return 0;
  if (diff.size() == 1) return 1;
  const size_t i = diff[0], j = diff[1];
  if (j == i + 1 && a[i] == b[j] && a[j] == b[i]) return 1;
  return 2;
}

std::vector<std::string> id_neighbours(std::string_view cleaned) {
  std::vector<std::string> out;
  if (cleaned.size() != 18) return out;
  std::string s(cleaned);
  auto valid = [](const std::string& x) { return forms::parse_id_number(x).id.has_value(); };
  for (size_t i = 0; i < 18; ++i) {
    const char orig = s[i];
    if (i == 17) {
      const char c = forms::id_check_char(s);
      if (c != orig && c != '?') {
        s[17] = c;
        if (valid(s)) out.push_back(s);
      }
    } else {
      for (char d = '0'; d <= '9'; ++d) {
        if (d == orig) continue;
        s[i] = d;
        if (forms::id_check_char(s) == s[17] && valid(s)) out.push_back(s);
      }
    }
    s[i] = orig;
  }
  for (size_t i = 0; i + 1 < 18; ++i) {
    if (s[i] == s[i + 1]) continue;
    std::swap(s[i], s[i + 1]);
    if (valid(s)) out.push_back(s);
    std::swap(s[i], s[i + 1]);
  }
  return out;
}

std::string mask_id_number(std::string_view id) {
  if (id.size() <= 8) return std::string(id.size(), '*');
  return std::string(id.substr(0, 4)) + std::string(id.size() - 8, '*') +
         std::string(id.substr(id.size() - 4));
}

}  // namespace yb::dedupe
