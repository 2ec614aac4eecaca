#include "admin/masking.h"

namespace yb::admin {
namespace {

using Json = nlohmann::json;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Number of UTF-8 code points.
size_t length_cp(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Masks the value at a dot path ("a.b") if present; arrays along the way are walked.
void mask_at(Json& doc, const std::string& path) {
  if (doc.is_array()) {
    for (auto& el : doc) mask_at(el, path);
    return;
  }
  if (!doc.is_object()) return;
  const auto dot = path.find('.');
  const std::string head = path.substr(0, dot);
  auto it = doc.find(head);
  if (it == doc.end()) return;
  if (dot == std::string::npos) {
    *it = mask_value(*it);
  } else {
    mask_at(*it, path.substr(dot + 1));
  }
}

bool template_names_masked(const std::string& tpl, const std::set<std::string>& keys) {
  for (const auto& k : keys) {
    if (tpl.find("{" + k + "}") != std::string::npos) return true;
  }
  return false;
}

void mask_rules(Json& payload, const Json& rules, const std::string& prefix,
                const std::set<std::string>& keys) {
  if (!rules.is_array()) return;
  for (const auto& r : rules) {
    if (!r.is_object() || !r.contains("to") || !r["to"].is_string()) continue;
    const std::string to = prefix + r["to"].get<std::string>();
    const std::string from = r.value("from", std::string());
    const bool derived = r.contains("derive");  // age, sex, birth date from the ID number
    bool masked = !from.empty() && keys.count(from) && !derived;
    if (!masked && r.contains("template") && r["template"].is_string()) {
      masked = template_names_masked(r["template"], keys);
    }
    if (masked) {
      mask_at(payload, to);
    } else if (r.contains("each")) {
      // Inside a repeat group: children named by their dictionary key or "group.child".
      std::set<std::string> inner;
      for (const auto& k : keys) {
        if (from.empty() || k.rfind(from + ".", 0) != 0) continue;
        inner.insert(k.substr(from.size() + 1));
      }
      for (const auto& k : keys) inner.insert(k);
      mask_rules(payload, r["each"], to + ".", inner);
    }
  }
}

}  // namespace

bool sees_personal_data(const User& u) { return u.role == Role::kCountyAdmin; }

std::set<std::string> masked_field_keys(const forms::Dictionary& dict) {
  std::set<std::string> out;
  for (const auto& [k, f] : dict.fields()) {
    if (f.sensitivity == forms::Sensitivity::kSensitive || f.type == forms::FieldType::kIdNumber) {
      out.insert(k);
    }
  }
  return out;
}

Json mask_value(const Json& v) {
  if (v.is_null()) return v;
  if (v.is_string()) {
    const std::string s = v;
    const size_t n = length_cp(s);
    bool ascii = true;
    for (unsigned char c : s) ascii = ascii && c < 0x80;
    if (n >= 11 && ascii)
      return s.substr(0, 3) + std::string(s.size() - 7, '*') + s.substr(s.size() - 4);
    return "***";
  }
  return "***";
}

std::string mask_identifiers(const std::string& s) {
  std::string out = s;
  for (size_t i = 0; i < out.size();) {
    if (!is_digit(out[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < out.size() && is_digit(out[j])) ++j;
    size_t len = j - i;
    if (len == 17 && j < out.size() && (out[j] == 'X' || out[j] == 'x')) {
      ++j;
      ++len;
    }
    if (len >= 15) {  // ID numbers, bank cards: first 3 and last 4 kept
      for (size_t k = i + 3; k + 4 < j; ++k) out[k] = '*';
    } else if (len == 11 && out[i] == '1' && out[i + 1] >= '3') {  // mobile: 138****1234
      for (size_t k = i + 3; k < i + 7; ++k) out[k] = '*';
    }
    i = j;
  }
  return out;
}

Json mask_identifiers_in(const Json& j) {
  if (j.is_string()) return mask_identifiers(j.get<std::string>());
  if (j.is_array() || j.is_object()) {
    Json out = j;
    for (auto& el : out) el = mask_identifiers_in(el);
    return out;
  }
  if (j.is_number_integer() || j.is_number_unsigned()) {
    const std::string s = j.dump();
    if (s.size() >= 11 && mask_identifiers(s) != s) return mask_identifiers(s);
  }
  return j;
}

Json mask_payload(const Json& payload, const Json& connector_raw,
                  const std::set<std::string>& masked_keys) {
  Json out = payload;
  if (connector_raw.is_object() && connector_raw.contains("mapping") &&
      connector_raw["mapping"].is_object()) {
    mask_rules(out, connector_raw["mapping"].value("fields", Json::array()), "", masked_keys);
  }
  return mask_identifiers_in(out);
}

}  // namespace yb::admin
