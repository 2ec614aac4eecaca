// feed: configuration and cursors.
#include "connectors/feed/feed.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace yb::connectors {

namespace {

constexpr const char* kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string b64url(const std::string& in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t n = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
    out += kB64[n & 63];
  }
  if (i < in.size()) {
    uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    if (i + 1 < in.size()) out += kB64[(n >> 6) & 63];
  }
  return out;
}

std::optional<std::string> unb64url(const std::string& in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    const char* p = std::strchr(kB64, ch);
    if (!p || ch == '\0') return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (in.size() % 4 == 1) return std::nullopt;
  return out;
}

Result<ConnectorPtr> parse_feed(const Json& config, const forms::Dictionary* dict) {
  auto c = std::make_shared<FeedConnector>();
  std::vector<FieldError> errs;
  std::vector<std::string> allowed;
  parse_common(config, dict, *c, errs, allowed);
  allowed.push_back("page_size");
  allowed.push_back("token_secret");
  reject_unknown_keys(config, "", allowed, errs);
  auto add = [&](std::string path, std::string code, std::string zh, std::string en) {
    if (errs.size() < 500) {
      errs.push_back(
          FieldError{std::move(path), std::move(code), Text{std::move(zh), std::move(en)}});
    }
  };
  if (!config.is_object()) return connector_config_error(std::move(errs));

  if (auto it = config.find("page_size"); it != config.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 ||
        it->get<int64_t>() > kFeedMaxPageSize) {
      add("page_size", "out_of_range", "page_size 必须是 1–1000 的整数（默认 100）",
          "\"page_size\" must be an integer 1–1000 (default 100)");
    } else {
      c->page_size = it->get<int>();
    }
  }
  if (auto it = config.find("token_secret"); it == config.end()) {
    add("token_secret", "required",
        "缺少 token_secret：请填写保存拉取令牌的密钥名称（每个 feed 一个令牌）",
        "\"token_secret\" is missing: give the NAME of the secret holding this feed's pull token");
  } else if (!it->is_string() || !valid_secret_name(it->get<std::string>())) {
    add("token_secret", "bad_secret_name",
        "token_secret 应填写密钥的名称（字母、数字、_ . -，最多 64 个），不能填写令牌本身",
        "\"token_secret\" takes the NAME of a secret (letters, digits, _ . -, at most 64), "
        "never the token itself");
  } else {
    c->token_secret = it->get<std::string>();
  }
  if (!errs.empty()) return connector_config_error(std::move(errs));
  return ConnectorPtr(std::move(c));
}

class FeedType : public ConnectorType {
 public:
  std::string name() const override { return "feed"; }
  Result<ConnectorPtr> parse(const Json& config, const forms::Dictionary* dict) const override {
    return parse_feed(config, dict);
  }
};

Error bad_cursor() {
  return Error::make(ErrorKind::kInvalidArgument, "bad_cursor",
                     "游标 after 无效：请使用上一页返回的 next_cursor，或不带 after 从头读取",
                     "The \"after\" cursor is invalid: use the next_cursor of the previous page, "
                     "or omit \"after\" to start from the beginning");
}

}  // namespace

std::string encode_cursor(const std::string& connector_id, int64_t seq) {
  return "c1_" + b64url(connector_id + ":" + std::to_string(seq < 0 ? 0 : seq));
}

Result<int64_t> decode_cursor(const std::string& connector_id, const std::string& cursor) {
  if (cursor.empty()) return int64_t{0};
  if (cursor.size() > 200 || cursor.rfind("c1_", 0) != 0) return bad_cursor();
  auto raw = unb64url(cursor.substr(3));
  if (!raw) return bad_cursor();
  const size_t colon = raw->rfind(':');
  if (colon == std::string::npos || raw->substr(0, colon) != connector_id) return bad_cursor();
  const std::string num = raw->substr(colon + 1);
  if (num.empty() || num.size() > 18 ||
      !std::all_of(num.begin(), num.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return bad_cursor();
  }
  return static_cast<int64_t>(std::strtoll(num.c_str(), nullptr, 10));
}

int feed_page_limit(const FeedConnector& c, std::optional<int> requested) {
  if (!requested || *requested <= 0) return c.page_size;
  return std::min(*requested, c.page_size);
}

std::unique_ptr<ConnectorType> make_feed_type() { return std::make_unique<FeedType>(); }

}  // namespace yb::connectors
