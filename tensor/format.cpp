// Printing follows NumPy's arrayprint (FloatingFormat in "maxprec" mode, IntegerFormat,
// BoolFormat and _formatArray's wrapping), so tensors read like the arrays users know.
#include "tensor/format.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ostream>
#include <type_traits>
#include <vector>

namespace tg {

namespace {

// ---- one element, before alignment ----

// Shortest round-trip text of v in its own type (float32 values print as float32 digits),
// or rounded to `precision` digits after the point when that is shorter.
template <class T>
std::string chars(T v, std::chars_format format, int precision = -1) {
  char buf[400];  // the longest fixed double (about 310 digits) plus 40 of precision
  const auto r = precision < 0 ? std::to_chars(buf, buf + sizeof buf, v, format)
                               : std::to_chars(buf, buf + sizeof buf, v, format, precision);
  return {buf, r.ptr};
}

void trim_zeros(std::string& digits) {
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
}

struct Parts {
  std::string integer;   // with sign
  std::string fraction;  // digits after the point
  std::string exponent;  // digits only (scientific)
  char exponent_sign = '+';
};

// NumPy's dragon4 with unique=True: the shortest digits, capped at `precision`.
template <class T>
Parts positional(T v, int precision) {
  std::string s = chars(v, std::chars_format::fixed);
  auto dot = s.find('.');
  if (dot != std::string::npos && static_cast<int>(s.size() - dot - 1) > precision) {
    s = chars(v, std::chars_format::fixed, precision);
    dot = s.find('.');
  }
  if (dot == std::string::npos) return {s, "", "", '+'};
  Parts p{s.substr(0, dot), s.substr(dot + 1), "", '+'};
  trim_zeros(p.fraction);
  return p;
}

template <class T>
Parts scientific(T v, int precision) {
  std::string s = chars(v, std::chars_format::scientific);
  auto e = s.find('e');
  const auto dot = s.find('.');
  const auto fraction_digits = dot == std::string::npos ? 0 : static_cast<int>(e - dot - 1);
  if (fraction_digits > precision) {
    s = chars(v, std::chars_format::scientific, precision);
    e = s.find('e');
  }
  const std::string mantissa = s.substr(0, e);
  const auto mdot = mantissa.find('.');
  Parts p{mantissa.substr(0, mdot), mdot == std::string::npos ? "" : mantissa.substr(mdot + 1), s.substr(e + 2),
          s[e + 1]};
  trim_zeros(p.fraction);
  return p;
}

std::string pad_left(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

// ---- one layout for all displayed elements ----

template <class T>
std::vector<std::string> format_floats(const std::vector<T>& values, int precision) {
  double max_abs = 0.0;
  double min_abs = INFINITY;
  bool any_nonfinite = false;
  bool negative_inf = false;
  for (T v : values) {
    if (!std::isfinite(v)) {
      any_nonfinite = true;
      negative_inf = negative_inf || (std::isinf(v) && v < 0);
    } else if (v != 0) {
      max_abs = std::max(max_abs, std::fabs(static_cast<double>(v)));
      min_abs = std::min(min_abs, std::fabs(static_cast<double>(v)));
    }
  }
  const bool exponential = max_abs > 0.0 && (max_abs >= 1e8 || min_abs < 1e-4 || max_abs / min_abs > 1e3);

  std::vector<Parts> parts(values.size());
  std::size_t left = 0;      // widest integer part
  std::size_t fraction = 0;  // widest fraction
  std::size_t exponent = 0;  // widest exponent
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) continue;
    parts[i] = exponential ? scientific(values[i], precision) : positional(values[i], precision);
    left = std::max(left, parts[i].integer.size());
    fraction = std::max(fraction, parts[i].fraction.size());
    exponent = std::max(exponent, parts[i].exponent.size());
  }
  // Positional values pad their fraction with spaces ("2. " next to "1.5"); scientific
  // ones with zeros, so mantissas keep one precision.
  const std::size_t right = exponential ? fraction + exponent + 2 : fraction;
  if (any_nonfinite) {  // "nan" / "inf" / "-inf" must fit in the common width
    const std::size_t room = right + 1;
    const std::size_t longest = negative_inf ? 4 : 3;
    if (longest > room) left = std::max(left, longest - room);
  }
  const std::size_t width = left + 1 + right;

  std::vector<std::string> out(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const T v = values[i];
    if (std::isnan(v)) {
      out[i] = pad_left("nan", width);
    } else if (std::isinf(v)) {
      out[i] = pad_left(v < 0 ? "-inf" : "inf", width);
    } else if (exponential) {
      const Parts& p = parts[i];
      out[i] = pad_left(p.integer, left) + "." + p.fraction + std::string(fraction - p.fraction.size(), '0') + "e" +
               p.exponent_sign + std::string(exponent - p.exponent.size(), '0') + p.exponent;
    } else {
      const Parts& p = parts[i];
      out[i] = pad_left(p.integer, left) + "." + p.fraction + std::string(fraction - p.fraction.size(), ' ');
    }
  }
  return out;
}

std::vector<std::string> format_integers(const std::vector<std::int64_t>& values) {
  std::vector<std::string> out;
  std::size_t width = 0;
  for (auto v : values) {
    out.push_back(fmt::format("{}", v));
    width = std::max(width, out.back().size());
  }
  for (auto& s : out) s = pad_left(s, width);
  return out;
}

std::vector<std::string> format_bools(const std::vector<bool>& values, bool scalar) {
  std::vector<std::string> out;
  for (bool v : values) out.emplace_back(v ? (scalar ? "True" : " True") : "False");  // " True" lines up with "False"
  return out;
}

// Visits the storage offsets of the displayed elements in row-major order.
template <class Visit>
void walk_displayed(const Tensor& t, std::size_t axis, std::int64_t offset, bool summarise, std::int64_t edge,
                    Visit& visit) {
  if (axis == t.shape().size()) {
    visit(offset);
    return;
  }
  const std::int64_t len = t.shape()[axis];
  const bool skip = summarise && len > 2 * edge;
  for (std::int64_t i = 0; i < len; ++i) {
    if (skip && i == edge) i = len - edge;
    walk_displayed(t, axis + 1, offset + i * t.strides()[axis], summarise, edge, visit);
  }
}

std::vector<std::string> format_elements(const Tensor& t, bool summarise, const PrintOptions& options) {
  return visit_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* base = static_cast<const T*>(t.impl().storage->data());
    std::vector<T> values;
    auto collect = [&](std::int64_t offset) { values.push_back(base[offset]); };
    walk_displayed(t, 0, t.offset(), summarise, options.edgeitems, collect);
    if constexpr (std::is_floating_point_v<T>) {
      return format_floats(values, options.precision);
    } else if constexpr (std::is_same_v<T, bool>) {
      return format_bools(std::vector<bool>(values.begin(), values.end()), t.dim() == 0);
    } else {
      return format_integers(values);
    }
  });
}

// ---- nesting and wrapping (NumPy's _formatArray) ----

class Layout {
 public:
  Layout(const Shape& shape, const std::vector<std::string>& words, bool summarise, std::int64_t edge)
      : shape_(shape), words_(words), summarise_(summarise), edge_(edge) {}

  std::string nest(std::size_t axis, const std::string& indent, std::int64_t width) {
    if (axis == shape_.size()) return words_[next_++];
    const std::string inner_indent = indent + " ";  // lines up under the '[' opened here
    const std::int64_t len = shape_[axis];
    const bool skip = summarise_ && len > 2 * edge_;
    const std::size_t dims_left = shape_.size() - axis;
    std::string s;
    std::string line = indent;
    for (std::int64_t i = 0; i < len; ++i) {
      const bool last = i == len - 1;
      if (skip && i == edge_) {
        i = len - edge_ - 1;
        if (dims_left == 1) {
          extend(s, line, "...", width - 1, indent);
          line += ", ";
        } else {
          s += indent + "..." + row_separator(dims_left);
        }
        continue;
      }
      if (dims_left == 1) {
        extend(s, line, nest(axis + 1, inner_indent, width - 1), width - 1, indent);
        if (!last) line += ", ";
      } else {
        s += indent + nest(axis + 1, inner_indent, width - 1);
        if (!last) s += row_separator(dims_left);
      }
    }
    if (dims_left == 1) s += line;
    return "[" + s.substr(indent.size()) + "]";
  }

 private:
  // Rows of a matrix end with ",\n"; blocks of higher dims get one blank line per extra dim.
  static std::string row_separator(std::size_t dims_left) {
    std::string s(dims_left, '\n');  // (built in place: GCC 12 misreports "," + string as overlapping)
    s[0] = ',';
    return s;
  }

  // Appends a word to the current line, starting a new line when it would pass `width`
  // (unless the line holds nothing yet, where wrapping would not help).
  static void extend(std::string& s, std::string& line, const std::string& word, std::int64_t width,
                     const std::string& indent) {
    const bool wrap = static_cast<std::int64_t>(line.size() + word.size()) > width && line.size() > indent.size();
    if (wrap) {
      while (!line.empty() && line.back() == ' ') line.pop_back();
      s += line + "\n";
      line = indent;
    }
    line += word;
  }

  const Shape& shape_;
  const std::vector<std::string>& words_;
  bool summarise_;
  std::int64_t edge_;
  std::size_t next_ = 0;
};

}  // namespace

std::string to_string(const Tensor& t, const PrintOptions& options) {
  if (!t.defined()) return "tensor(undefined)";
  TG_CHECK(options.precision >= 0 && options.precision <= 40, ValueError,
           "to_string: precision must be in [0, 40], got {}", options.precision);
  TG_CHECK(options.edgeitems >= 1 && options.threshold >= 0 && options.linewidth >= 1, ValueError,
           "to_string: invalid print options (threshold {}, edgeitems {}, linewidth {})", options.threshold,
           options.edgeitems, options.linewidth);
  const std::string prefix = "tensor(";
  std::string body;
  if (t.numel() == 0) {
    body = "[]";
  } else {
    const bool summarise = t.numel() > options.threshold;
    const std::vector<std::string> words = format_elements(t, summarise, options);
    Layout layout(t.shape(), words, summarise, options.edgeitems);
    // The first line starts after "tensor("; later lines are indented to match. One column
    // is kept for the ',' that follows the data.
    body = layout.nest(0, std::string(prefix.size() + 1, ' '), options.linewidth - 1);
  }
  std::string out = fmt::format("{}{}, shape={}, dtype={}", prefix, body, t.shape(), t.dtype());
  if (t.requires_grad()) out += ", requires_grad=True";
  return out + ")";
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << to_string(t); }

}  // namespace tg
