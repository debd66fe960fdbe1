#include "tensor/random.hpp"

#include <cmath>
#include <numbers>

#include "tensor/checked_math.hpp"

namespace tg {

Generator::Generator(std::uint64_t seed, std::uint64_t stream) { this->seed(seed, stream); }

void Generator::seed(std::uint64_t seed, std::uint64_t stream) {
  // PCG32 initialisation (O'Neill, pcg32_srandom_r).
  state_ = 0;
  increment_ = (stream << 1u) | 1u;
  next_u32();
  state_ += seed;
  next_u32();
  has_spare_normal_ = false;
}

Generator Generator::fork() {
  const std::uint64_t seed = next_u64();
  const std::uint64_t stream = next_u64();
  return Generator(seed, stream);
}

Generator::State Generator::get_state() const { return {state_, increment_, has_spare_normal_, spare_normal_}; }

void Generator::set_state(const State& s) {
  TG_CHECK(s.increment % 2 == 1, ValueError, "Generator::set_state: increment {:#x} is even, not a PCG32 stream",
           s.increment);
  state_ = s.state;
  increment_ = s.increment;
  has_spare_normal_ = s.has_spare_normal;
  spare_normal_ = s.spare_normal;
}

std::uint32_t Generator::next_u32() {
  const std::uint64_t old = state_;
  state_ = old * 6364136223846793005ULL + increment_;
  const auto xorshifted = static_cast<std::uint32_t>(((old >> 18u) ^ old) >> 27u);
  const auto rot = static_cast<std::uint32_t>(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

std::uint64_t Generator::next_u64() { return (static_cast<std::uint64_t>(next_u32()) << 32u) | next_u32(); }

double Generator::uniform() { return static_cast<double>(next_u64() >> 11u) * 0x1.0p-53; }

double Generator::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  double u1 = uniform();
  while (u1 <= 0.0) u1 = uniform();
  const double u2 = uniform();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  spare_normal_ = radius * std::sin(angle);
  has_spare_normal_ = true;
  return radius * std::cos(angle);
}

std::int64_t Generator::integer(std::int64_t low, std::int64_t high) {
  TG_CHECK(low < high, ValueError, "randint: empty range [{}, {})", low, high);
  // In unsigned arithmetic: high - low may exceed INT64_MAX (the result, in [low, high), fits).
  const std::uint64_t range = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % range;  // rejection keeps it unbiased
  std::uint64_t r = next_u64();
  while (r >= limit) r = next_u64();
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + r % range);
}

Generator& default_generator() {
  thread_local Generator gen;
  return gen;
}

void manual_seed(std::uint64_t seed) { default_generator().seed(seed); }

namespace {
template <class Sample>
Tensor fill_with(const Shape& shape, TensorOptions options, std::string_view op, Sample&& sample) {
  Tensor t = empty(shape, {.dtype = options.dtype});
  visit_numeric(options.dtype, op, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = convert_element<T>(sample(), op);
  });
  if (options.requires_grad) t.set_requires_grad(true);
  return t;
}
}  // namespace

Tensor rand(const Shape& shape, Generator& gen, TensorOptions options) {
  return fill_with(shape, options, "rand", [&] { return gen.uniform(); });
}
Tensor rand(const Shape& shape, TensorOptions options) { return rand(shape, default_generator(), options); }

Tensor uniform(const Shape& shape, double low, double high, Generator& gen, TensorOptions options) {
  TG_CHECK(low <= high, ValueError, "uniform: low {} > high {}", low, high);
  return fill_with(shape, options, "uniform", [&] { return low + (high - low) * gen.uniform(); });
}

Tensor randn(const Shape& shape, Generator& gen, TensorOptions options) {
  return fill_with(shape, options, "randn", [&] { return gen.normal(); });
}
Tensor randn(const Shape& shape, TensorOptions options) { return randn(shape, default_generator(), options); }

Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& gen, TensorOptions options) {
  TG_CHECK(low < high, ValueError, "randint: empty range [{}, {})", low, high);
  return fill_with(shape, options, "randint", [&] { return gen.integer(low, high); });  // exact as int64
}
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, TensorOptions options) {
  return randint(low, high, shape, default_generator(), options);
}

}  // namespace tg
