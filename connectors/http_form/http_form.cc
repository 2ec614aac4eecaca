// http_form behaviour: body encoding. Configuration and request building are shared with
// http_json (connectors/http_json/).
#include "connectors/http_form/http_form.h"

namespace yb::connectors {

namespace {

class HttpFormType : public ConnectorType {
 public:
  std::string name() const override { return "http_form"; }
  Result<ConnectorPtr> parse(const Json& config, const forms::Dictionary* dict) const override {
    return parse_http_push(std::make_shared<HttpFormConnector>(), config, dict);
  }
};

void flatten(const Json& v, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out) {
  switch (v.type()) {
    case Json::value_t::object:
      for (auto it = v.begin(); it != v.end(); ++it) {
        flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
      }
      break;
    case Json::value_t::array:
      for (size_t i = 0; i < v.size(); ++i) {
        flatten(v[i], prefix + "[" + std::to_string(i) + "]", out);
      }
      break;
    case Json::value_t::string:
      out.emplace_back(prefix, v.get<std::string>());
      break;
    case Json::value_t::boolean:
      out.emplace_back(prefix, v.get<bool>() ? "true" : "false");
      break;
    case Json::value_t::null:
      out.emplace_back(prefix, "");
      break;
    default:
      out.emplace_back(prefix, v.dump());
      break;
  }
}

void encode_component(const std::string& s, std::string& out) {
  static const char* kHex = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '*' ||
        c == '-' || c == '.' || c == '_') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> flatten_form(const Json& doc) {
  std::vector<std::pair<std::string, std::string>> out;
  if (doc.is_object()) {
    flatten(doc, "", out);
  } else {
    flatten(doc, "value", out);
  }
  return out;
}

std::string form_urlencode(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out += '&';
    encode_component(k, out);
    out += '=';
    encode_component(v, out);
  }
  return out;
}

std::string HttpFormConnector::encode_body(const Json& doc) const {
  return form_urlencode(flatten_form(doc));
}

std::unique_ptr<ConnectorType> make_http_form_type() { return std::make_unique<HttpFormType>(); }

}  // namespace yb::connectors
