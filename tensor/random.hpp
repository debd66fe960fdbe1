// Seedable random numbers that are identical on every machine and compiler: the bit
// generator (PCG32) and the transforms (uniform from 24/53 random bits, Box-Muller normals)
// are our own, because std:: distributions differ between standard libraries.
#pragma once

#include <cstdint>

#include "tensor/tensor.hpp"

namespace tg {

class Generator {
 public:
  // PCG32 runs one of 2^63 streams (sequences that never meet); seeds pick a place in it.
  static constexpr std::uint64_t kDefaultStream = 0xda3e39cb94b95bdbULL;

  explicit Generator(std::uint64_t seed = 0x853c49e6748fea9bULL, std::uint64_t stream = kDefaultStream);
  void seed(std::uint64_t seed, std::uint64_t stream = kDefaultStream);
  // A new generator on a stream of its own, seeded from this one's next numbers. Random
  // modules fork one off default_generator() at construction: two modules never draw the
  // same numbers, and one manual_seed reproduces all of them.
  Generator fork();

  // Everything that decides the numbers to come (saved in training checkpoints).
  struct State {
    std::uint64_t state = 0;
    std::uint64_t increment = 1;  // odd for every PCG32 stream
    bool has_spare_normal = false;
    double spare_normal = 0.0;
    friend bool operator==(const State&, const State&) = default;
  };
  State get_state() const;
  void set_state(const State& state);  // ValueError for an even increment (not a PCG32 state)

  std::uint32_t next_u32();
  std::uint64_t next_u64();
  double uniform();                                           // [0, 1), 53 random bits
  double normal();                                            // standard normal
  std::int64_t integer(std::int64_t low, std::int64_t high);  // [low, high), unbiased

 private:
  std::uint64_t state_ = 0;
  std::uint64_t increment_ = 0;
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

// The generator used when none is passed: rand/randn/randint without one, nn::init, layer
// initialisation, and the streams random modules fork at construction. Seed it with
// manual_seed for repeatable runs. One per thread (so threads never race on it): seed it in
// the thread that builds the model.
Generator& default_generator();
void manual_seed(std::uint64_t seed);

Tensor rand(const Shape& shape, Generator& gen, TensorOptions options = {});  // U[0, 1)
Tensor rand(const Shape& shape, TensorOptions options = {});
Tensor uniform(const Shape& shape, double low, double high, Generator& gen, TensorOptions options = {});
Tensor randn(const Shape& shape, Generator& gen, TensorOptions options = {});  // N(0, 1)
Tensor randn(const Shape& shape, TensorOptions options = {});
// Integers in [low, high); dtype defaults to int64.
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& gen,
               TensorOptions options = {.dtype = DType::Int64});
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape,
               TensorOptions options = {.dtype = DType::Int64});

}  // namespace tg
