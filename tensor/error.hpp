// Typed errors. Every public entry point validates its arguments and throws one of
// these with a message that names the op and the offending shapes or values.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace tg {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class ShapeError : public Error {
 public:
  using Error::Error;
};
class DTypeError : public Error {
 public:
  using Error::Error;
};
class IndexError : public Error {
 public:
  using Error::Error;
};
class ValueError : public Error {
 public:
  using Error::Error;
};
class IOError : public Error {
 public:
  using Error::Error;
};
// Misuse of the autograd engine (backward twice without retain_graph, wrong gradient shapes).
class AutogradError : public Error {
 public:
  using Error::Error;
};
// A collective that failed or timed out, a peer that went away, ranks that disagree
// (nn/distributed/).
class DistributedError : public Error {
 public:
  using Error::Error;
};

// Throws E with a fmt-formatted message.
template <class E = Error, class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw E(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace tg

// TG_CHECK(cond, tg::ShapeError, "matmul: shapes {} and {} ...", a, b)
#define TG_CHECK(cond, ExceptionType, ...)               \
  do {                                                   \
    if (!(cond)) ::tg::fail<ExceptionType>(__VA_ARGS__); \
  } while (0)
