#include "nn/json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

namespace tg::json {

bool Value::as_bool() const {
  TG_CHECK(is_bool(), ValueError, "json: expected a boolean");
  return std::get<bool>(v_);
}
std::int64_t Value::as_int() const {
  TG_CHECK(is_int(), ValueError, "json: expected an integer");
  return std::get<std::int64_t>(v_);
}
double Value::as_double() const {
  TG_CHECK(is_number(), ValueError, "json: expected a number");
  return is_int() ? static_cast<double>(std::get<std::int64_t>(v_)) : std::get<double>(v_);
}
const std::string& Value::as_string() const {
  TG_CHECK(is_string(), ValueError, "json: expected a string");
  return std::get<std::string>(v_);
}
const Array& Value::as_array() const {
  TG_CHECK(is_array(), ValueError, "json: expected an array");
  return std::get<Array>(v_);
}
const Object& Value::as_object() const {
  TG_CHECK(is_object(), ValueError, "json: expected an object");
  return std::get<Object>(v_);
}
Object& Value::as_object() {
  TG_CHECK(is_object(), ValueError, "json: expected an object");
  return std::get<Object>(v_);
}

const Value* Value::find(std::string_view key) const {
  for (const auto& [k, v] : as_object())
    if (k == key) return &v;
  return nullptr;
}

const Value& Value::at(std::string_view key) const {
  const Value* v = find(key);
  TG_CHECK(v != nullptr, ValueError, "json: missing key '{}'", key);
  return *v;
}

Value& Value::set(const std::string& key, Value value) {
  if (is_null()) v_ = Object{};
  for (auto& [k, v] : as_object())
    if (k == key) return v = std::move(value);
  return as_object().emplace_back(key, std::move(value)).second;
}

namespace {

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Value document() {
    Value v = value(0);
    skip_ws();
    if (pos_ != s_.size()) error("unexpected trailing characters");
    return v;
  }

 private:
  [[noreturn]] void error(std::string_view what) const { fail<ParseError>("json: {} at byte {}", what, pos_); }

  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  char peek() {
    skip_ws();
    if (pos_ >= s_.size()) error("unexpected end of input");
    return s_[pos_];
  }
  void expect(char c) {
    if (peek() != c) error(fmt::format("expected '{}'", c));
    ++pos_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Value value(int depth) {
    // The parser recurses once per level: the cap bounds its stack. Safetensors headers
    // nest 3 levels deep (header, tensor entry, shape array).
    if (depth > kMaxDepth) error("nesting too deep");
    const char c = peek();
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') return Value(string());
    if (literal("true")) return Value(true);
    if (literal("false")) return Value(false);
    if (literal("null")) return Value();
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    error(fmt::format("unexpected character '{}'", c));
  }

  Value object(int depth) {
    expect('{');
    Object obj;
    std::vector<std::size_t> key_at;  // byte offset of each key, for the duplicate-key error
    if (peek() == '}') {
      ++pos_;
      return Value(std::move(obj));
    }
    while (true) {
      if (peek() != '"') error("expected a string key");
      key_at.push_back(pos_);
      std::string key = string();
      expect(':');
      obj.emplace_back(std::move(key), value(depth + 1));
      const char c = peek();
      ++pos_;
      if (c == '}') {
        check_unique_keys(obj, key_at);
        return Value(std::move(obj));
      }
      if (c != ',') error("expected ',' or '}'");
    }
  }

  // Duplicates are found by sorting the keys once the object is complete: O(n log n), where
  // comparing each key with all earlier ones took O(n^2) (seconds for 40,000 keys). Sorting
  // rather than hashing keeps the bound for any keys, chosen by an adversary or not.
  void check_unique_keys(const Object& obj, const std::vector<std::size_t>& key_at) {
    std::vector<std::size_t> order(obj.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      const int c = obj[a].first.compare(obj[b].first);
      return c < 0 || (c == 0 && a < b);
    });
    for (std::size_t i = 1; i < order.size(); ++i) {
      if (obj[order[i]].first == obj[order[i - 1]].first) {
        pos_ = key_at[order[i]];  // the error names the later of the two
        error(fmt::format("duplicate key '{}'", obj[order[i]].first));
      }
    }
  }

  Value array(int depth) {
    expect('[');
    Array arr;
    if (peek() == ']') {
      ++pos_;
      return Value(std::move(arr));
    }
    while (true) {
      arr.push_back(value(depth + 1));
      const char c = peek();
      ++pos_;
      if (c == ']') return Value(std::move(arr));
      if (c != ',') error("expected ',' or ']'");
    }
  }

  unsigned hex4() {
    if (pos_ + 4 > s_.size()) error("truncated \\u escape");
    unsigned u = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = s_[pos_++];
      u <<= 4;
      if (h >= '0' && h <= '9') u |= static_cast<unsigned>(h - '0');
      else if (h >= 'a' && h <= 'f') u |= static_cast<unsigned>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') u |= static_cast<unsigned>(h - 'A' + 10);
      else error("bad \\u escape");
    }
    return u;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    expect('"');
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) error("unterminated string");
      const char c = s_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) error("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) error("unterminated escape");
      const char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00) {
            if (!literal("\\u")) error("unpaired surrogate");
            const unsigned lo = hex4();
            if (lo < 0xDC00 || lo >= 0xE000) error("bad surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            error("unpaired surrogate");
          }
          append_utf8(out, cp);
          break;
        }
        default: error(fmt::format("bad escape '\\{}'", e));
      }
    }
  }

  Value number() {
    const std::size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    auto digits = [&] {
      const std::size_t d0 = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - d0;
    };
    const std::size_t int_start = pos_;
    if (digits() == 0) error("bad number");
    if (s_[int_start] == '0' && pos_ - int_start > 1) error("leading zero in number");
    bool is_int = true;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      is_int = false;
      if (digits() == 0) error("bad number");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      is_int = false;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (digits() == 0) error("bad number");
    }
    const char* first = s_.data() + start;
    const char* last = s_.data() + pos_;
    if (is_int) {
      std::int64_t i = 0;
      auto [p, ec] = std::from_chars(first, last, i);
      if (ec == std::errc() && p == last) return Value(i);
    }
    double d = 0.0;
    auto [p, ec] = std::from_chars(first, last, d);
    if (ec != std::errc() || p != last) error("number out of range");
    return Value(d);
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

void dump_string(std::string& out, const std::string& s) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else out += c;
    }
  }
  out += '"';
}

void dump_to(std::string& out, const Value& v) {
  if (v.is_null()) out += "null";
  else if (v.is_bool()) out += v.as_bool() ? "true" : "false";
  else if (v.is_int()) out += std::to_string(v.as_int());
  else if (v.is_number()) {
    const double d = v.as_double();
    TG_CHECK(std::isfinite(d), ValueError, "json: cannot write non-finite number {}", d);
    std::string text = fmt::format("{}", d);  // shortest round-trip representation
    if (text.find_first_of(".eE") == std::string::npos) text += ".0";  // stays a double when read back
    out += text;
  } else if (v.is_string()) dump_string(out, v.as_string());
  else if (v.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& e : v.as_array()) {
      if (!first) out += ',';
      first = false;
      dump_to(out, e);
    }
    out += ']';
  } else {
    out += '{';
    bool first = true;
    for (const auto& [k, e] : v.as_object()) {
      if (!first) out += ',';
      first = false;
      dump_string(out, k);
      out += ':';
      dump_to(out, e);
    }
    out += '}';
  }
}

}  // namespace

Value parse(std::string_view text) { return Parser(text).document(); }

std::string dump(const Value& value) {
  std::string out;
  dump_to(out, value);
  return out;
}

}  // namespace tg::json
