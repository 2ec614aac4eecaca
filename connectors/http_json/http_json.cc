// http_json behaviour and the request building shared with http_form.
#include "connectors/http_json/http_json.h"

#include <exception>
#include <functional>

namespace yb::connectors {

namespace {

class HttpJsonType : public ConnectorType {
 public:
  std::string name() const override { return "http_json"; }
  Result<ConnectorPtr> parse(const Json& config, const forms::Dictionary* dict) const override {
    return parse_http_push(std::make_shared<HttpJsonConnector>(), config, dict);
  }
};

}  // namespace

Json HttpPushConnector::wrap(const Json& payload) const {
  if (cfg.envelope.is_null()) return payload;
  std::function<Json(const Json&)> fill = [&](const Json& x) -> Json {
    if (x.is_string() && x.get_ref<const std::string&>() == "$payload") return payload;
    if (x.is_object()) {
      Json o = Json::object();
      for (auto it = x.begin(); it != x.end(); ++it) o[it.key()] = fill(it.value());
      return o;
    }
    if (x.is_array()) {
      Json a = Json::array();
      for (const auto& e : x) a.push_back(fill(e));
      return a;
    }
    return x;
  };
  return fill(cfg.envelope);
}

Result<HttpRequest> HttpPushConnector::build_request(const Json& payload, const RequestContext& ctx,
                                                     const SecretLookup& /*secrets*/) const {
  if (ctx.delivery_id.empty()) {
    return Error::make(ErrorKind::kInvalidArgument, "missing_delivery_id",
                       "缺少投递 id（delivery_id），无法生成幂等请求",
                       "The delivery id is missing; an idempotent request cannot be built");
  }
  try {
    HttpRequest req;
    if (ctx.upstream_id && !ctx.upstream_id->empty()) {
      req.method = cfg.update_method;
      std::string url;
      const std::string& t = cfg.update_url;
      for (size_t i = 0; i < t.size();) {
        if (t.compare(i, 5, "{url}") == 0) {
          url += cfg.url;
          i += 5;
        } else if (t.compare(i, 13, "{upstream_id}") == 0) {
          url += encode_path_segment(*ctx.upstream_id);
          i += 13;
        } else {
          url += t[i++];
        }
      }
      req.url = encode_url(url);
    } else {
      req.method = cfg.method;
      req.url = encode_url(cfg.url);
    }
    req.content_type = content_type();
    req.body = encode_body(wrap(payload));
    req.headers = cfg.headers;
    req.headers.emplace_back("Idempotency-Key", ctx.delivery_id);
    req.headers.emplace_back("webhook-id", ctx.delivery_id);
    req.headers.emplace_back("webhook-timestamp", std::to_string(ctx.timestamp_s));
    return req;
  } catch (const std::exception& e) {
    return Error::make(ErrorKind::kValidation, "payload_not_encodable",
                       std::string("无法编码请求内容（可能含无效的 UTF-8）：") + e.what(),
                       std::string("The payload cannot be encoded (invalid UTF-8?): ") + e.what());
  }
}

std::string HttpJsonConnector::encode_body(const Json& doc) const {
  // Strict UTF-8 (throws on invalid bytes; caught by build_request).
  return doc.dump(-1, ' ', false, Json::error_handler_t::strict);
}

Result<ConnectorPtr> parse_http_push(std::shared_ptr<HttpPushConnector> c, const Json& config,
                                     const forms::Dictionary* dict) {
  std::vector<FieldError> errs;
  std::vector<std::string> allowed;
  parse_common(config, dict, *c, errs, allowed);
  parse_push_config(config, c->cfg, errs, allowed);
  reject_unknown_keys(config, "", allowed, errs);
  if (!errs.empty()) return connector_config_error(std::move(errs));
  return ConnectorPtr(std::move(c));
}

std::unique_ptr<ConnectorType> make_http_json_type() { return std::make_unique<HttpJsonType>(); }

}  // namespace yb::connectors
