// Errors as values. Every fallible call that crosses a module boundary returns Result<T>;
// no exceptions leave a module. Error kinds map to HTTP status codes in exactly one place
// (gateway/http_errors.cc).
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace yb {

enum class ErrorKind {
  kInvalidArgument,  // malformed input (400)
  kValidation,       // well-formed but invalid values; `details` lists every problem (422)
  kUnauthenticated,  // no or bad credentials (401)
  kForbidden,        // authenticated but outside role or org scope (403)
  kNotFound,         // (404)
  kConflict,         // idempotency or state conflict (409)
  kTooLarge,         // over a documented size limit (413)
  kRateLimited,      // too many attempts (429)
  kUnavailable,      // shutting down, overloaded (503)
  kInternal,         // bug or I/O failure (500)
};

// A message a person reads, in every language the product speaks. zh-CN first.
struct Text {
  std::string zh;  // zh-CN
  std::string en;
  std::string ug{};  // Uyghur (Arabic script); empty where no Uyghur text exists (zh is shown)
};

// One problem with one field of an answer.
struct FieldError {
  std::string path;  // e.g. "household.members[1].name"; empty for the whole answer
  std::string code;  // machine code, e.g. "required", "check_digit"
  Text message;
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string code;  // machine code, e.g. "validation_failed", "client_id_conflict"
  Text message;
  std::vector<FieldError> details;  // for kValidation
  int retry_after_seconds = 0;      // for kRateLimited

  static Error make(ErrorKind k, std::string code, std::string zh, std::string en) {
    Error e;
    e.kind = k;
    e.code = std::move(code);
    e.message = {std::move(zh), std::move(en)};
    return e;
  }
};

// Holds either a value or an Error. Cheap to move; check ok() before value().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::move(v)) {}      // NOLINT(google-explicit-constructor)
  Result(Error e) : v_(std::move(e)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { return std::get<1>(v_); }
  Error&& take_error() { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// Result of an operation that produces no value.
struct Unit {};
using Status = Result<Unit>;
inline Status ok_status() { return Unit{}; }

}  // namespace yb
