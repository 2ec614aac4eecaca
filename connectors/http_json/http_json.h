// http_json: pushes each frozen payload as a JSON body (POST by default; the update method and
// URL once the upstream's record id is known). HttpPushConnector holds what http_json and
// http_form share; the subclasses only encode the body.
#pragma once

#include <memory>
#include <string>

#include "connectors/connector.h"
#include "connectors/http_json/config.h"

namespace yb::connectors {

class HttpPushConnector : public Connector {
 public:
  HttpPushConfig cfg;

  bool pushes() const override { return true; }
  // Method and URL (update ones when ctx.upstream_id is set), Content-Type, body, the extra
  // headers, and always Idempotency-Key, webhook-id and webhook-timestamp. No auth header
  // and no webhook-signature (the delivery engine adds both, as they need secrets).
  Result<HttpRequest> build_request(const Json& payload, const RequestContext& ctx,
                                    const SecretLookup& secrets) const override;
  const RetryPolicy* retry() const override { return &cfg.retry; }
  const Limits* limits() const override { return &cfg.limits; }
  const SendOptions* send_options() const override { return &cfg.send; }
  const AuthConfig* auth() const override { return &cfg.auth; }
  const ResponseId* response_id() const override { return &cfg.response_id; }
  std::string signing_secret_name() const override { return cfg.signing_secret; }

  // The document actually sent: the payload, wrapped in `envelope` when one is configured.
  Json wrap(const Json& payload) const;

 protected:
  virtual std::string content_type() const = 0;
  virtual std::string encode_body(const Json& doc) const = 0;
};

class HttpJsonConnector : public HttpPushConnector {
 protected:
  std::string content_type() const override { return "application/json; charset=utf-8"; }
  // Compact UTF-8 JSON (no \u escapes for Chinese text).
  std::string encode_body(const Json& doc) const override;
};

// Parses common + push keys into `c`; the shared part of the http_json and http_form parsers.
Result<ConnectorPtr> parse_http_push(std::shared_ptr<HttpPushConnector> c, const Json& config,
                                     const forms::Dictionary* dict);

std::unique_ptr<ConnectorType> make_http_json_type();

}  // namespace yb::connectors
