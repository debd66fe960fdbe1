// A small JSON value with a strict parser and a writer: enough for safetensors headers
// and training metadata. Objects keep their key order. Integers without fraction or
// exponent are kept exactly as int64.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tensor/error.hpp"

namespace tg::json {

class ParseError : public Error {
 public:
  using Error::Error;
};

class Value;
using Array = std::vector<Value>;
using Object = std::vector<std::pair<std::string, Value>>;

class Value {
 public:
  Value() = default;  // null
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  Value(int i) : v_(static_cast<std::int64_t>(i)) {}
  Value(std::int64_t i) : v_(i) {}
  Value(double d) : v_(d) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(Array a) : v_(std::move(a)) {}
  Value(Object o) : v_(std::move(o)) {}

  bool is_null() const { return std::holds_alternative<std::monostate>(v_); }
  bool is_bool() const { return std::holds_alternative<bool>(v_); }
  bool is_int() const { return std::holds_alternative<std::int64_t>(v_); }
  bool is_number() const { return is_int() || std::holds_alternative<double>(v_); }
  bool is_string() const { return std::holds_alternative<std::string>(v_); }
  bool is_array() const { return std::holds_alternative<Array>(v_); }
  bool is_object() const { return std::holds_alternative<Object>(v_); }

  // Typed access; throws ValueError naming the expected type.
  bool as_bool() const;
  std::int64_t as_int() const;
  double as_double() const;  // ints convert
  const std::string& as_string() const;
  const Array& as_array() const;
  const Object& as_object() const;
  Object& as_object();

  const Value* find(std::string_view key) const;  // object member or nullptr
  const Value& at(std::string_view key) const;    // throws ValueError if missing
  Value& set(const std::string& key, Value value);  // object: replaces or appends

 private:
  std::variant<std::monostate, bool, std::int64_t, double, std::string, Array, Object> v_;
};

// Strict RFC 8259 parsing (no comments, no trailing commas, no duplicate keys, at most
// kMaxDepth nested arrays and objects); errors name the byte offset. Time is O(n log n) in
// the text size n; callers that read untrusted text cap its size (safetensors: 16 MiB).
inline constexpr int kMaxDepth = 64;
Value parse(std::string_view text);
std::string dump(const Value& value);  // compact

}  // namespace tg::json
