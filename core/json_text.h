// Writing JSON text directly, without building a document first: for answers on the hot path
// (a submission's receipt), where building a nlohmann::json only to print it costs more than the
// rest of the answer. The output is compact JSON; strings are escaped, and bytes that are not
// UTF-8 become U+FFFD (as nlohmann's dump with error_handler_t::replace does).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace yb {

// Appends `s` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view s);

// The text nlohmann's j.dump() writes (compact, object keys in order), in a fraction of its
// time: stored content, its hash and rendered payloads are written with it. Strings that are
// not UTF-8 get U+FFFD where dump() would throw.
std::string json_dump(const nlohmann::json& j);
void append_json(std::string& out, const nlohmann::json& j);

// Reads one JSON text (RFC 8259) into the document nlohmann::json::parse(text) makes of it: the
// last of duplicate keys wins; an integer is int64 when negative, uint64 otherwise, a double
// when it has a fraction or exponent or does not fit (and refused when it overflows a double);
// strings must be UTF-8; a leading UTF-8 byte order mark is skipped, and a NUL byte after the
// value ends the text. Several times faster than parse() (request bodies are read with
// it). Refuses what parse() refuses, and arrays or objects nested deeper than max_depth: then
// nullopt, with *error_at (if given) set to the byte offset where reading stopped.
std::optional<nlohmann::json> json_parse(std::string_view text, size_t max_depth = 512,
                                         size_t* error_at = nullptr);

// A JSON text written value by value. The caller keeps the structure well formed (a key before
// each member value, ends matching begins); commas are placed here.
class JsonWriter {
 public:
  // reserve: the expected length of the text, to spare the buffer its regrowth.
  explicit JsonWriter(size_t reserve = 256) { out_.reserve(reserve); }
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(int64_t n);
  JsonWriter& value(int n) { return value(static_cast<int64_t>(n)); }
  JsonWriter& value(bool b);
  JsonWriter& null();
  // A value that is already JSON text (e.g. a small nlohmann document's dump()).
  JsonWriter& raw(std::string_view json);
  // A document, written as json_dump() writes it.
  JsonWriter& document(const nlohmann::json& j);
  std::string take() { return std::move(out_); }

 private:
  void before_value();
  std::string out_;
  bool need_comma_ = false;  // something was written in the open container
  bool after_key_ = false;
};

}  // namespace yb
