// The one place where errors become HTTP answers. Every error body has the same shape:
//   {"error": {"code": "...", "message": "<zh-CN>", "message_en": "...",
//              "errors": [{"path", "code", "message": "<zh-CN>", "message_en"}]}}
#pragma once

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace yb::gateway {

int http_status(ErrorKind kind);
nlohmann::json error_body(const Error& e);

}  // namespace yb::gateway
