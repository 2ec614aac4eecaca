#include "gateway/http_errors.h"

namespace yb::gateway {

int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
      return 400;
    case ErrorKind::kValidation:
      return 422;
    case ErrorKind::kUnauthenticated:
      return 401;
    case ErrorKind::kForbidden:
      return 403;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kConflict:
      return 409;
    case ErrorKind::kTooLarge:
      return 413;
    case ErrorKind::kRateLimited:
      return 429;
    case ErrorKind::kUnavailable:
      return 503;
    case ErrorKind::kInternal:
      return 500;
  }
  return 500;
}

nlohmann::json error_body(const Error& e) {
  nlohmann::json err = {{"code", e.code}, {"message", e.message.zh}, {"message_en", e.message.en}};
  if (e.kind == ErrorKind::kInternal) {
    // Internal details (SQL text, file names) stay in the server log.
    err["message"] = "系统出错，请稍后重试；如果一直出错请联系管理员";
    err["message_en"] = "Internal error; retry later, and tell the administrator if it persists";
  }
  if (!e.details.empty()) {
    auto& list = err["errors"] = nlohmann::json::array();
    for (const auto& d : e.details) {
      list.push_back({{"path", d.path},
                      {"code", d.code},
                      {"message", d.message.zh},
                      {"message_en", d.message.en}});
      if (!d.message.ug.empty()) list.back()["message_ug"] = d.message.ug;  // Uyghur, if any
    }
  }
  if (e.retry_after_seconds > 0) err["retry_after"] = e.retry_after_seconds;
  return {{"error", err}};
}

}  // namespace yb::gateway
