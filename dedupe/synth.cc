#include "dedupe/synth.h"

#include <opencc/opencc.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <string_view>

#include "forms/id_number.h"

namespace yb::dedupe::synth {
namespace {

// Surnames roughly by frequency (the first few carry a large share, as in real villages).
const std::vector<std::string> kSurnames = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐",   "孙",   "马",  "朱", "胡",
    "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许",   "韩",   "冯",  "邓", "曹",
    "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余",   "杜",   "叶",  "程", "苏",
    "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭",   "陆",   "汪",  "范", "金",
    "石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊",   "秦",   "邱",  "江", "尹",
    "薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾",   "毛",   "郝",  "龚", "邵",
    "万", "钱", "严", "覃", "武", "戴", "莫", "孔", "向", "汤", "欧阳", "司马", "诸葛"};
// Given-name characters; many have a traditional form different from the simplified one.
const std::vector<std::string> kGiven = {
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀", "霞", "平", "刚", "桂", "英", "华", "兰", "红", "玉", "凤", "国", "建",
    "东", "龙", "云", "辉", "鹏", "飞", "宁", "海", "波", "斌", "琳", "萍", "亮", "春", "梅",
    "文", "志", "燕", "金", "晓", "俊", "荣", "丹", "玲", "雪", "丽", "宏", "庆", "学", "德",
    "成", "万", "林", "长", "福", "永", "新", "义", "胜", "利", "宝", "贵", "发", "顺", "进",
    "凯", "浩", "宇", "轩", "涵", "欣", "怡", "梓", "睿", "泽", "晨", "阳", "雨", "佳", "嘉"};
// Parts of Uyghur and Kazakh names as transliterated into Chinese.
const std::vector<std::string> kMinorityParts = {
    "阿卜杜拉", "艾力",     "买买提",   "吐尔逊",   "热依拉", "古丽",   "阿依古丽",
    "努尔",     "艾合买提", "帕提古丽", "依明",     "肉孜",   "阿布都", "热合曼",
    "麦麦提",   "吾斯曼",   "阿斯哈尔", "哈力木",   "巴合提", "努尔兰", "叶尔兰",
    "托合提",   "玉素甫",   "米娜瓦尔", "迪丽拜尔", "阿迪力"};

class Converter {
 public:
  explicit Converter(const char* config) {
    od_ = opencc_open(config);
    if (od_ == reinterpret_cast<opencc_t>(-1)) od_ = nullptr;
  }
  ~Converter() {
    if (od_) opencc_close(od_);
  }
  std::string operator()(const std::string& s) {
    if (!od_) return s;
    char* out = opencc_convert_utf8(od_, s.data(), s.size());
    if (!out) return s;
    std::string r(out);
    opencc_convert_utf8_free(out);
    return r;
  }

 private:
  opencc_t od_ = nullptr;
};

std::vector<std::string> split_cps(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

bool valid_ymd(int y, int m, int d) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

}  // namespace

std::string make_id_number(const std::string& region6, const std::string& birth, int seq) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%03d", seq % 1000);
  std::string s = region6 + birth.substr(0, 4) + birth.substr(5, 2) + birth.substr(8, 2) + buf;
  s.push_back(forms::id_check_char(s));
  return s;
}

std::vector<Resident> generate(const Options& o) {
  std::mt19937_64 rng(o.seed);
  auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  // Zipf-like surname choice: index drawn from a skewed distribution.
  auto surname = [&] {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const size_t i = static_cast<size_t>(std::pow(u, 2.2) * kSurnames.size());
    return kSurnames[std::min(i, kSurnames.size() - 1)];
  };
  auto given = [&] {
    std::string g = kGiven[uni(0, static_cast<int>(kGiven.size()) - 1)];
    if (chance(0.7)) g += kGiven[uni(0, static_cast<int>(kGiven.size()) - 1)];
    return g;
  };
  auto minority_name = [&] {
    const auto& a = kMinorityParts[uni(0, static_cast<int>(kMinorityParts.size()) - 1)];
    std::string b;
    do b = kMinorityParts[uni(0, static_cast<int>(kMinorityParts.size()) - 1)];
    while (b == a);
    return a + "\u00B7" + b;
  };
  auto phone = [&] {
    static const char* kPrefixes[] = {"138", "139", "150", "151", "152", "157", "158", "159",
                                      "186", "187", "188", "135", "136", "137", "182", "183"};
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s%08d", kPrefixes[uni(0, 15)], uni(0, 99'999'999));
    return std::string(buf);
  };
  std::vector<std::string> villages;
  for (int t = 1; t <= o.townships; ++t) {
    for (int v = 1; v <= o.villages_per_township; ++v) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "130111%03d%03d", 10 * t, 200 + v);
      villages.push_back(buf);
    }
  }
  std::set<std::string> ids;
  auto birth = [&](int y0, int y1) {
    for (;;) {
      const int y = uni(y0, y1), m = uni(1, 12), d = uni(1, 31);
      if (!valid_ymd(y, m, d)) continue;
      char buf[48];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
      return std::string(buf);
    }
  };
  std::vector<Resident> out;
  out.reserve(static_cast<size_t>(o.residents + o.duplicates));
  int64_t household = 0;
  while (static_cast<int>(out.size()) < o.residents) {
    ++household;
    const std::string village = villages[uni(0, static_cast<int>(villages.size()) - 1)];
    const bool minority = chance(0.06);
    const std::string family = surname();
    const std::string hphone = phone();
    char addr[96];
    std::snprintf(addr, sizeof addr, "%d组%d号", uni(1, 12), uni(1, 200));
    const int size = std::min(uni(1, 5), o.residents - static_cast<int>(out.size()));
    for (int k = 0; k < size; ++k) {
      Resident r;
      r.truth = static_cast<int64_t>(out.size()) + 1;
      r.household = household;
      r.village = village;
      r.address = addr;
      r.name = minority ? minority_name() : (k < 2 && chance(0.5) ? surname() : family) + given();
      r.birth_date = k == 0 ? birth(1935, 1990) : k == 1 ? birth(1935, 1995) : birth(1960, 2022);
      for (;;) {
        const int seq = uni(0, 999);
        r.id_number = make_id_number(village.substr(0, 6), r.birth_date, seq);
        if (ids.insert(r.id_number).second) break;
      }
      r.sex = ((r.id_number[16] - '0') % 2) ? "1" : "2";
      r.phone = k == 0 || chance(0.4) ? (k == 0 ? hphone : phone()) : "";
      if (k >= 2 && chance(o.without_id * 2.5)) r.id_number.clear();  // children without ID
      out.push_back(std::move(r));
    }
  }
  // Duplicates: a copy of a random original carrying one or two typical errors.
  Converter to_trad("s2t.json");
  static const std::vector<std::string> kErrors = {
      "name_typo",   "transposed_id", "id_typo",     "id_15",      "traditional",
      "missing_dot", "wrong_birth",   "other_phone", "missing_id", "other_village"};
  std::vector<Resident> dups;
  for (int i = 0; i < o.duplicates; ++i) {
    Resident d = out[static_cast<size_t>(uni(0, o.residents - 1))];
    d.duplicate = true;
    const int n = chance(0.7) ? 1 : 2;
    for (int e = 0; e < n; ++e) {
      for (int attempt = 0; attempt < 20; ++attempt) {
        const std::string& err = kErrors[static_cast<size_t>(uni(0, kErrors.size() - 1))];
        if (std::find(d.errors.begin(), d.errors.end(), err) != d.errors.end()) continue;
        bool done = false;
        if (err == "name_typo") {
          auto cps = split_cps(d.name);
          const size_t pos = cps.size() - 1 - static_cast<size_t>(uni(0, cps.size() > 2 ? 1 : 0));
          if (cps[pos] == "\u00B7") continue;
          std::string repl;
          do repl = kGiven[uni(0, static_cast<int>(kGiven.size()) - 1)];
          while (repl == cps[pos]);
          cps[pos] = repl;
          d.name.clear();
          for (const auto& c : cps) d.name += c;
          done = true;
        } else if (err == "transposed_id" && d.id_number.size() == 18) {
          for (int t = 0; t < 10 && !done; ++t) {
            const int p = uni(6, 15);
            if (d.id_number[p] == d.id_number[p + 1]) continue;
            std::swap(d.id_number[p], d.id_number[p + 1]);
            done = true;
          }
        } else if (err == "id_typo" && d.id_number.size() == 18) {
          const int p = uni(6, 16);
          d.id_number[p] = static_cast<char>('0' + (d.id_number[p] - '0' + uni(1, 9)) % 10);
          done = true;
        } else if (err == "id_15" && d.id_number.size() == 18 && d.id_number.substr(6, 2) == "19") {
          d.id_number = d.id_number.substr(0, 6) + d.id_number.substr(8, 9);
          done = true;
        } else if (err == "traditional") {
          const std::string t = to_trad(d.name);
          if (t != d.name) {
            d.name = t;
            done = true;
          }
        } else if (err == "missing_dot") {
          const auto pos = d.name.find("\u00B7");
          if (pos != std::string::npos) {
            d.name.erase(pos, std::strlen("\u00B7"));
            done = true;
          }
        } else if (err == "wrong_birth") {
          int y = std::stoi(d.birth_date.substr(0, 4)), m = std::stoi(d.birth_date.substr(5, 2)),
              dd = std::stoi(d.birth_date.substr(8, 2));
          if (chance(0.5) && dd <= 12 && dd != m) {
            std::swap(m, dd);
          } else {
            dd = dd == 1 ? 2 : dd - 1;
          }
          char buf[48];
          std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, dd);
          d.birth_date = buf;
          done = true;
        } else if (err == "other_phone") {
          d.phone = phone();
          done = true;
        } else if (err == "missing_id" && !d.id_number.empty()) {
          d.id_number.clear();
          done = true;
        } else if (err == "other_village") {
          // Moved within the township.
          const std::string prefix = d.village.substr(0, 9);
          std::string v;
          do v = villages[uni(0, static_cast<int>(villages.size()) - 1)];
          while (v.substr(0, 9) != prefix || v == d.village);
          d.village = v;
          done = true;
        }
        if (done) {
          d.errors.push_back(err);
          break;
        }
      }
    }
    dups.push_back(std::move(d));
  }
  std::shuffle(dups.begin(), dups.end(), rng);
  for (auto& d : dups) out.push_back(std::move(d));
  return out;
}

}  // namespace yb::dedupe::synth
