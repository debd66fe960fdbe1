// The benchmark cases of bench_tapegrad. A case group creates the data its variants
// share (same float32 inputs on every side); each variant times tapegrad, libtorch and,
// for gemm, OpenBLAS on that data, and checks once that tapegrad agrees with them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tg::bench {

// What a variant's rate is compared with: the FMA peak (x threads), or the measured
// memcpy / 2-read-1-write stream bandwidth.
enum class Bound { flops, memcpy, stream };

struct Variant {
  std::string name;
  double work = 0;  // flops per call, or bytes read + written per call (memcpy / stream bounds)
  Bound bound = Bound::flops;
  std::function<void()> tapegrad;
  std::function<void()> torch;  // empty without libtorch
  std::function<void()> blas;   // empty without OpenBLAS, or where it does not apply
  // "ok", "FAIL <relative error>", or "" when there is nothing to compare with.
  std::function<std::string()> check;
};

struct CaseGroup {
  std::vector<std::string> names;              // of the variants make() returns, for --filter
  std::function<std::vector<Variant>()> make;  // allocates the shared data
};

std::vector<CaseGroup> conv_cases();
std::vector<CaseGroup> fft_conv_cases();  // the stem by FFT (libtorch's transforms) against direct
std::vector<CaseGroup> gemm_cases();
std::vector<CaseGroup> lenet_cases();
std::vector<CaseGroup> resnet_cases();  // ResNet-18 training steps and inference
std::vector<CaseGroup> memory_cases();
std::vector<CaseGroup> data_cases();            // the data loader with and without augmentation
std::vector<CaseGroup> sequence_op_cases();     // layer_norm, attention, embedding
std::vector<CaseGroup> sequence_layer_cases();  // transformer block, LSTM
std::vector<CaseGroup> char_lm_cases();

// The correctness rule of every check: max |got - want| / max |want| < tolerance.
double relative_error(const float* got, const float* want, std::int64_t n);
double relative_error(const double* got, const double* want, std::int64_t n);
std::string verdict(double relative_error, double tolerance = 1e-4);
// The worst failing verdict of several, else "ok" (or "" when all are empty).
std::string combine(const std::vector<std::string>& verdicts);

}  // namespace tg::bench
