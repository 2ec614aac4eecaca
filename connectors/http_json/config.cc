// Parsing of the HTTP push configuration (see config.h).
#include "connectors/http_json/config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <string_view>

namespace yb::connectors {

namespace {

class Errs {
 public:
  explicit Errs(std::vector<FieldError>& out) : out_(out) {}
  void add(std::string path, std::string code, std::string zh, std::string en) {
    if (out_.size() >= 500) return;
    out_.push_back(
        FieldError{std::move(path), std::move(code), Text{std::move(zh), std::move(en)}});
  }
  void type(const std::string& path, const std::string& want_zh, const std::string& want_en) {
    add(path, "type", path + " 必须是" + want_zh, path + " must be " + want_en);
  }

 private:
  std::vector<FieldError>& out_;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string join_path(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}

bool is_method(const std::string& m) { return m == "POST" || m == "PUT" || m == "PATCH"; }

// An object-valued key: nullptr when absent; reports a type error when not an object.
const Json* object_at(const Json& j, const char* key, Errs& e) {
  auto it = j.find(key);
  if (it == j.end()) return nullptr;
  if (!it->is_object()) {
    e.type(key, "对象", "an object");
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> string_at(const Json& j, const std::string& base, const char* key,
                                     Errs& e) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (!it->is_string()) {
    e.type(join_path(base, key), "字符串", "a string");
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::optional<bool> bool_at(const Json& j, const std::string& base, const char* key, Errs& e) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (!it->is_boolean()) {
    e.type(join_path(base, key), " true 或 false", "true or false");
    return std::nullopt;
  }
  return it->get<bool>();
}

// A number within [lo, hi]; integral when `integer`.
std::optional<double> number_at(const Json& j, const std::string& base, const char* key, double lo,
                                double hi, bool integer, Errs& e) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  const std::string path = join_path(base, key);
  auto range = [&] {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%g–%g", lo, hi);
    return std::string(buf);
  };
  if (!it->is_number() || (integer && !it->is_number_integer() && !it->is_number_unsigned())) {
    e.add(path, "type", path + " 必须是" + (integer ? "整数" : "数字") + "（" + range() + "）",
          path + " must be " + (integer ? "an integer" : "a number") + " (" + range() + ")");
    return std::nullopt;
  }
  const double d = it->get<double>();
  if (!std::isfinite(d) || d < lo || d > hi) {
    e.add(path, "out_of_range", path + " 超出允许范围 " + range(),
          path + " is out of the allowed range " + range());
    return std::nullopt;
  }
  return d;
}

bool valid_header_name(const std::string& s) {
  if (s.empty() || s.size() > 100) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool valid_header_value(const std::string& s) {
  return s.size() <= 4000 && std::none_of(s.begin(), s.end(), [](char c) {
           return c == '\r' || c == '\n' || c == '\0';
         });
}

void secret_name(const Json& j, const std::string& base, const char* key, std::string& dst,
                 Errs& e) {
  auto v = string_at(j, base, key, e);
  if (!v) return;
  const std::string path = join_path(base, key);
  if (!valid_secret_name(*v)) {
    e.add(path, "bad_secret_name",
          path +
              " 应填写密钥的名称（字母、数字、_ . -，最多 64 个），不能填写密钥本身；"
              "密钥值请在密钥管理中保存",
          path +
              " takes the NAME of a secret (letters, digits, _ . -, at most 64), never the "
              "secret itself; store the value in the secrets store");
    return;
  }
  dst = *v;
}

void parse_auth(const Json& a, AuthConfig& auth, Errs& e, std::vector<FieldError>& errs) {
  reject_unknown_keys(
      a, "auth", {"type", "username", "secret", "header", "token_url", "client_id", "scope"}, errs);
  if (auto t = string_at(a, "auth", "type", e)) auth.type = *t;
  static const std::vector<std::string> kTypes = {"none", "basic", "bearer", "api_key", "oauth2"};
  if (std::find(kTypes.begin(), kTypes.end(), auth.type) == kTypes.end()) {
    e.add("auth.type", "bad_value", "auth.type 只能是 none、basic、bearer、api_key 或 oauth2",
          "auth.type must be none, basic, bearer, api_key or oauth2");
    return;
  }
  if (auto v = string_at(a, "auth", "username", e)) auth.username = *v;
  secret_name(a, "auth", "secret", auth.secret, e);
  if (auto v = string_at(a, "auth", "header", e)) {
    if (!valid_header_name(*v)) {
      e.add("auth.header", "bad_header", "auth.header 不是合法的 HTTP 头名称",
            "auth.header is not a valid HTTP header name");
    } else {
      auth.header = *v;
    }
  }
  if (auto v = string_at(a, "auth", "token_url", e)) {
    auth.token_url = *v;
    const std::string why = check_url(*v, false);
    if (!why.empty()) {
      e.add("auth.token_url", "bad_url", "auth.token_url 必须是 https:// 地址：" + why,
            "auth.token_url must be an https:// URL: " + why);
    }
  }
  if (auto v = string_at(a, "auth", "client_id", e)) auth.client_id = *v;
  if (auto v = string_at(a, "auth", "scope", e)) auth.scope = *v;

  // Which keys each type needs and accepts.
  struct Need {
    const char* key;
    bool present;
  };
  auto require = [&](std::initializer_list<Need> needs) {
    for (const auto& n : needs) {
      if (!n.present) {
        e.add(std::string("auth.") + n.key, "required",
              "auth.type 为 " + auth.type + " 时必须填写 auth." + n.key,
              std::string("auth.") + n.key + " is required when auth.type is " + auth.type);
      }
    }
  };
  auto forbid = [&](std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
      if (a.contains(k)) {
        e.add(std::string("auth.") + k, "not_applicable",
              "auth.type 为 " + auth.type + " 时不使用 auth." + k + "，请删除",
              std::string("auth.") + k + " is not used when auth.type is " + auth.type +
                  "; remove it");
      }
    }
  };
  const bool has_secret = !auth.secret.empty() || a.contains("secret");
  if (auth.type == "none") {
    forbid({"username", "secret", "header", "token_url", "client_id", "scope"});
  } else if (auth.type == "basic") {
    require({{"username", a.contains("username")}, {"secret", has_secret}});
    forbid({"header", "token_url", "client_id", "scope"});
  } else if (auth.type == "bearer") {
    require({{"secret", has_secret}});
    forbid({"username", "header", "token_url", "client_id", "scope"});
  } else if (auth.type == "api_key") {
    require({{"secret", has_secret}});
    forbid({"username", "token_url", "client_id", "scope"});
  } else if (auth.type == "oauth2") {
    require({{"token_url", a.contains("token_url")},
             {"client_id", a.contains("client_id")},
             {"secret", has_secret}});
    forbid({"username", "header"});
  }
}

}  // namespace

std::string encode_path_segment(const std::string& s) { return percent_encode(s); }

std::string encode_url(const std::string& url) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < url.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(url[i]);
    const bool escape =
        c >= 0x80 || c <= 0x20 || c == 0x7F ||
        std::string_view("\"<>\\^`{|}").find(static_cast<char>(c)) != std::string_view::npos ||
        (c == '%' &&
         !(i + 2 < url.size() && std::isxdigit(static_cast<unsigned char>(url[i + 1])) &&
           std::isxdigit(static_cast<unsigned char>(url[i + 2]))));
    if (escape) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string check_url(const std::string& url, bool allow_plain_http) {
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    if (!allow_plain_http) {
      return "plain http:// is refused; use https://, or set tls.allow_plain_http to true";
    }
    rest = url.substr(7);
  } else {
    return "it must start with https:// (or http:// with tls.allow_plain_http)";
  }
  const size_t end = rest.find_first_of("/?#");
  const std::string authority = rest.substr(0, end);
  if (authority.empty()) return "the host is missing";
  if (authority.find('@') != std::string::npos) {
    return "credentials in the URL are refused; use \"auth\" with a secret name";
  }
  for (unsigned char c : authority) {
    if (c >= 0x80 || c <= 0x20) return "the host must be ASCII (use punycode) without spaces";
  }
  if (url.find_first_of("\r\n") != std::string::npos || url.find('\0') != std::string::npos) {
    return "the URL contains a line break";
  }
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    const std::string port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(port) < 1 || std::stoi(port) > 65535) {
      return "the port must be a number 1–65535";
    }
    if (colon == 0) return "the host is missing";
  }
  if (url.size() > 2000) return "the URL is longer than 2000 characters";
  return "";
}

void parse_push_config(const Json& j, HttpPushConfig& cfg, std::vector<FieldError>& errs,
                       std::vector<std::string>& allowed) {
  for (const char* k : {"url", "method", "update", "headers", "auth", "tls", "timeouts", "retry",
                        "limits", "signing_secret", "response_id", "envelope"}) {
    allowed.push_back(k);
  }
  Errs e(errs);
  if (!j.is_object()) return;

  // tls first: url checking depends on allow_plain_http.
  if (const Json* t = object_at(j, "tls", e)) {
    reject_unknown_keys(*t, "tls", {"allow_plain_http", "verify", "ca_bundle"}, errs);
    if (auto v = bool_at(*t, "tls", "allow_plain_http", e)) cfg.send.tls.allow_plain_http = *v;
    if (auto v = bool_at(*t, "tls", "verify", e)) cfg.send.tls.verify = *v;
    if (auto v = string_at(*t, "tls", "ca_bundle", e)) {
      if (v->empty() || (*v)[0] != '/') {
        e.add("tls.ca_bundle", "bad_path", "tls.ca_bundle 必须是 PEM 证书文件的绝对路径",
              "tls.ca_bundle must be the absolute path of a PEM file");
      } else {
        cfg.send.tls.ca_bundle_path = *v;
      }
    }
  }

  // url
  if (auto it = j.find("url"); it == j.end()) {
    e.add("url", "required", "缺少上游地址 url，例如 \"https://example.gov.cn/api/records\"",
          "The upstream \"url\" is missing, e.g. \"https://example.gov.cn/api/records\"");
  } else if (!it->is_string()) {
    e.type("url", "字符串", "a string");
  } else {
    cfg.url = it->get<std::string>();
    const std::string why = check_url(cfg.url, cfg.send.tls.allow_plain_http);
    if (!why.empty()) {
      const bool plain = cfg.url.rfind("http://", 0) == 0 && !cfg.send.tls.allow_plain_http;
      e.add("url", plain ? "plain_http" : "bad_url",
            plain ? "url 使用了不加密的 http://：请改用 https://，或明确设置 "
                    "tls.allow_plain_http 为 true（仅限内网）"
                  : "url 不是有效的 http(s) 地址：" + why,
            "url: " + why);
    }
  }

  // method
  if (auto v = string_at(j, "", "method", e)) {
    if (!is_method(*v)) {
      e.add("method", "bad_value", "method 只能是 POST、PUT 或 PATCH",
            "method must be POST, PUT or PATCH");
    } else {
      cfg.method = *v;
    }
  }

  // update
  if (const Json* u = object_at(j, "update", e)) {
    reject_unknown_keys(*u, "update", {"method", "url"}, errs);
    if (auto v = string_at(*u, "update", "method", e)) {
      if (!is_method(*v)) {
        e.add("update.method", "bad_value", "update.method 只能是 POST、PUT 或 PATCH",
              "update.method must be POST, PUT or PATCH");
      } else {
        cfg.update_method = *v;
      }
    }
    if (auto v = string_at(*u, "update", "url", e)) {
      // Only {url} and {upstream_id} placeholders; the result must be a valid URL.
      std::string probe = *v;
      bool bad = false;
      for (size_t p = probe.find('{'); p != std::string::npos; p = probe.find('{', p)) {
        const size_t q = probe.find('}', p);
        const std::string name = q == std::string::npos ? "" : probe.substr(p + 1, q - p - 1);
        if (name == "url") {
          probe.replace(p, q - p + 1, cfg.url.empty() ? "https://x" : cfg.url);
          p += cfg.url.empty() ? 9 : cfg.url.size();
        } else if (name == "upstream_id") {
          probe.replace(p, q - p + 1, "1");
          p += 1;
        } else {
          bad = true;
          break;
        }
      }
      const std::string why = bad ? "" : check_url(probe, cfg.send.tls.allow_plain_http);
      if (bad || !why.empty()) {
        e.add("update.url", "bad_template",
              "update.url 必须是地址模板，只能使用 {url} 和 {upstream_id}，例如 "
              "\"{url}/{upstream_id}\"",
              "update.url must be a URL template using only {url} and {upstream_id}, e.g. "
              "\"{url}/{upstream_id}\"" +
                  (why.empty() ? std::string() : ": " + why));
      } else {
        cfg.update_url = *v;
      }
    }
  }

  // headers
  if (const Json* h = object_at(j, "headers", e)) {
    static const std::vector<std::string> kReserved = {
        "authorization",     "host",       "content-length",    "content-type",
        "idempotency-key",   "webhook-id", "webhook-timestamp", "webhook-signature",
        "transfer-encoding", "connection"};
    for (auto it = h->begin(); it != h->end(); ++it) {
      const std::string path = "headers." + it.key();
      if (!valid_header_name(it.key())) {
        e.add(path, "bad_header", "“" + it.key() + "”不是合法的 HTTP 头名称",
              "\"" + it.key() + "\" is not a valid HTTP header name");
      } else if (std::find(kReserved.begin(), kReserved.end(), lower(it.key())) !=
                 kReserved.end()) {
        e.add(path, "reserved_header",
              "不能在 headers 中设置“" + it.key() + "”：认证请用 auth，其余由网关自动设置",
              "\"" + it.key() +
                  "\" cannot be set in headers: use \"auth\" for credentials; the gateway sets "
                  "the others");
      } else if (!it->is_string() || !valid_header_value(it->get<std::string>())) {
        e.add(path, "type", path + " 必须是不含换行的字符串",
              path + " must be a string without line breaks");
      } else {
        cfg.headers.emplace_back(it.key(), it->get<std::string>());
      }
    }
  }

  // auth
  if (const Json* a = object_at(j, "auth", e)) parse_auth(*a, cfg.auth, e, errs);

  // timeouts
  if (const Json* t = object_at(j, "timeouts", e)) {
    reject_unknown_keys(*t, "timeouts", {"connect_ms", "read_ms"}, errs);
    if (auto v = number_at(*t, "timeouts", "connect_ms", 100, 60000, true, e)) {
      cfg.send.connect_timeout_ms = static_cast<int>(*v);
    }
    if (auto v = number_at(*t, "timeouts", "read_ms", 100, 300000, true, e)) {
      cfg.send.read_timeout_ms = static_cast<int>(*v);
    }
  }

  // retry
  if (const Json* r = object_at(j, "retry", e)) {
    reject_unknown_keys(
        *r, "retry",
        {"schedule_s", "jitter", "permanent_statuses", "pause_statuses", "min_after_throttle_s"},
        errs);
    if (auto it = r->find("schedule_s"); it != r->end()) {
      if (!it->is_array() || it->empty() || it->size() > 50) {
        e.add("retry.schedule_s", "type",
              "retry.schedule_s 必须是 1–50 个秒数的数组，例如 [0, 5, 300]",
              "retry.schedule_s must be an array of 1–50 delays in seconds, e.g. [0, 5, 300]");
      } else {
        std::vector<int64_t> s;
        for (size_t i = 0; i < it->size(); ++i) {
          const Json& d = (*it)[i];
          if (!d.is_number_integer() && !d.is_number_unsigned()) {
            e.add("retry.schedule_s[" + std::to_string(i) + "]", "type",
                  "重试间隔必须是整数秒（0–604800）",
                  "Retry delays must be whole seconds (0–604800)");
          } else if (d.get<int64_t>() < 0 || d.get<int64_t>() > 604800) {
            e.add("retry.schedule_s[" + std::to_string(i) + "]", "out_of_range",
                  "重试间隔超出范围 0–604800 秒（7 天）",
                  "Retry delay out of range 0–604800 s (7 days)");
          } else {
            s.push_back(d.get<int64_t>());
          }
        }
        if (s.size() == it->size()) cfg.retry.schedule_s = std::move(s);
      }
    }
    if (auto v = number_at(*r, "retry", "jitter", 0, 1, false, e)) cfg.retry.jitter = *v;
    if (auto v = number_at(*r, "retry", "min_after_throttle_s", 0, 86400, true, e)) {
      cfg.retry.min_after_throttle_s = static_cast<int64_t>(*v);
    }
    for (auto [key, dst] : {std::pair<const char*, std::vector<int>*>{
                                "permanent_statuses", &cfg.retry.permanent_statuses},
                            {"pause_statuses", &cfg.retry.pause_statuses}}) {
      auto it = r->find(key);
      if (it == r->end()) continue;
      const std::string path = std::string("retry.") + key;
      if (!it->is_array()) {
        e.type(path, "HTTP 状态码数组（400–599）", "an array of HTTP status codes (400–599)");
        continue;
      }
      std::vector<int> codes;
      for (size_t i = 0; i < it->size(); ++i) {
        const Json& c = (*it)[i];
        if (!c.is_number_integer() || c.get<int64_t>() < 400 || c.get<int64_t>() > 599) {
          e.add(path + "[" + std::to_string(i) + "]", "out_of_range",
                "状态码必须是 400–599 之间的整数", "Status codes must be integers 400–599");
        } else {
          codes.push_back(c.get<int>());
        }
      }
      *dst = std::move(codes);
    }
  }

  // limits
  if (const Json* l = object_at(j, "limits", e)) {
    reject_unknown_keys(
        *l, "limits", {"concurrency", "rate_per_s", "burst", "breaker_failures", "breaker_open_s"},
        errs);
    if (auto v = number_at(*l, "limits", "concurrency", 1, 64, true, e)) {
      cfg.limits.concurrency = static_cast<int>(*v);
    }
    if (auto v = number_at(*l, "limits", "rate_per_s", 0.01, 10000, false, e)) {
      cfg.limits.rate_per_s = *v;
    }
    if (auto v = number_at(*l, "limits", "burst", 1, 10000, true, e)) {
      cfg.limits.burst = static_cast<int>(*v);
    }
    if (auto v = number_at(*l, "limits", "breaker_failures", 1, 1000, true, e)) {
      cfg.limits.breaker_failures = static_cast<int>(*v);
    }
    if (auto v = number_at(*l, "limits", "breaker_open_s", 1, 86400, true, e)) {
      cfg.limits.breaker_open_s = static_cast<int64_t>(*v);
    }
  }

  // signing_secret
  secret_name(j, "", "signing_secret", cfg.signing_secret, e);

  // response_id
  if (const Json* r = object_at(j, "response_id", e)) {
    reject_unknown_keys(*r, "response_id", {"json_path", "location"}, errs);
    if (auto v = string_at(*r, "response_id", "json_path", e)) {
      bool ok = !v->empty() && v->size() <= 200 && v->front() != '.' && v->back() != '.' &&
                v->find("..") == std::string::npos;
      if (!ok) {
        e.add("response_id.json_path", "bad_path",
              "response_id.json_path 必须是点分路径，例如 \"data.id\"",
              "response_id.json_path must be a dot path, e.g. \"data.id\"");
      } else {
        cfg.response_id.json_path = *v;
      }
    }
    if (auto v = bool_at(*r, "response_id", "location", e)) cfg.response_id.location = *v;
  }

  // envelope: a JSON object in which exactly one string value is "$payload".
  if (auto it = j.find("envelope"); it != j.end()) {
    int count = 0;
    std::function<void(const Json&)> walk = [&](const Json& x) {
      if (x.is_string() && x.get_ref<const std::string&>() == "$payload") ++count;
      if (x.is_structured()) {
        for (const auto& c : x) walk(c);
      }
    };
    if (it->is_object()) walk(*it);
    if (!it->is_object() || count != 1) {
      e.add("envelope", "bad_envelope",
            "envelope 必须是对象，且恰好有一个值为 \"$payload\"，例如 {\"data\": \"$payload\"}",
            "\"envelope\" must be an object with exactly one value \"$payload\", e.g. "
            "{\"data\": \"$payload\"}");
    } else {
      cfg.envelope = *it;
    }
  }
}

}  // namespace yb::connectors
