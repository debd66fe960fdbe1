// Data augmentation (nn/data/transforms.hpp) against images computed by hand, the
// DataLoader's per-sample transforms (seeded per sample: same bits for any thread count,
// batch size or prefetching), and the confusion matrix (nn/metrics/confusion_matrix.hpp).
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "tapegrad.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

// [C, H, W] float image with the given values, row-major.
Tensor image(const std::vector<double>& values, std::int64_t c, std::int64_t h, std::int64_t w) {
  Tensor t = zeros({c, h, w});
  float* p = t.data<float>();
  for (std::size_t i = 0; i < values.size(); ++i) p[i] = static_cast<float>(values[i]);
  return t;
}

std::vector<double> values(const Tensor& t) {
  const Tensor c = t.contiguous().to(DType::Float64);
  return {c.data<double>(), c.data<double>() + c.numel()};
}

Tensor classes(const std::vector<std::int64_t>& v) { return from_vector(v, {static_cast<std::int64_t>(v.size())}); }

}  // namespace

TEST_CASE("transforms: random crop pads with the fill and cuts the window the generator picks") {
  const Tensor x = image({1, 2, 3, 4}, 1, 2, 2);
  Generator gen(7);
  // Padding 1 and a 4x4 window: the whole padded image, whatever the draw.
  CHECK(values(RandomCrop{.height = 4, .width = 4, .padding = 1, .fill = -1}(x, gen)) ==
        std::vector<double>{-1, -1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1, -1, -1, -1, -1});
  // A 2x2 window of the padded 4x4 image: the offsets are the generator's next two draws.
  for (int trial = 0; trial < 20; ++trial) {
    Generator draws = gen;  // the same stream, to know the offsets in advance
    const std::int64_t top = draws.integer(0, 3), left = draws.integer(0, 3);
    const std::vector<double> padded{0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0};
    std::vector<double> expected;
    for (std::int64_t y = 0; y < 2; ++y)
      for (std::int64_t xx = 0; xx < 2; ++xx)
        expected.push_back(padded[static_cast<std::size_t>((top + y) * 4 + left + xx)]);
    CHECK(values(RandomCrop{.height = 2, .width = 2, .padding = 1}(x, gen)) == expected);
  }
  CHECK_THROWS_AS((RandomCrop{.height = 5, .width = 4, .padding = 1}(x, gen)), ShapeError);
  CHECK_THROWS_AS((RandomCrop{.height = 2, .width = 2}(zeros({2, 2}), gen)), ShapeError);
  CHECK_THROWS_AS((RandomCrop{.height = 2, .width = 2}(zeros({1, 2, 2}, {.dtype = DType::Int64}), gen)), DTypeError);
}

TEST_CASE("transforms: horizontal flip mirrors every channel's rows, with probability p") {
  const Tensor x = image({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 2, 2, 3);
  Generator gen(3);
  const std::vector<double> mirrored{3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10};
  CHECK(values(RandomHorizontalFlip{.p = 1.0}(x, gen)) == mirrored);
  CHECK(values(RandomHorizontalFlip{.p = 0.0}(x, gen)) == values(x));
  // p = 0.5: flipped exactly when the draw is below one half; about half of 400 samples.
  int flipped = 0;
  for (int i = 0; i < 400; ++i) {
    Generator draws = gen;
    const bool expect = draws.uniform() < 0.5;
    const std::vector<double> got = values(RandomHorizontalFlip{}(x, gen));
    CHECK(got == (expect ? mirrored : values(x)));
    flipped += expect;
  }
  CHECK(flipped > 150);
  CHECK(flipped < 250);
  CHECK_THROWS_AS((RandomHorizontalFlip{.p = 1.5}(x, gen)), ValueError);
}

TEST_CASE("transforms: random erasing fills one rectangle of the drawn size in every channel") {
  std::vector<double> v;
  for (int i = 1; i <= 32; ++i) v.push_back(i);
  const Tensor x = image(v, 2, 4, 4);
  Generator gen(11);
  // Scale 1/4 and ratio 1: always a 2x2 square (area 4 of 16), at a drawn position.
  const RandomErasing erase{
      .p = 1.0, .scale_min = 0.25, .scale_max = 0.25, .ratio_min = 1, .ratio_max = 1, .value = -5};
  for (int trial = 0; trial < 20; ++trial) {
    Generator draws = gen;
    draws.uniform();  // p
    draws.uniform();  // scale
    draws.uniform();  // ratio
    const std::int64_t top = draws.integer(0, 3), left = draws.integer(0, 3);
    std::vector<double> expected = v;
    for (std::int64_t c = 0; c < 2; ++c)
      for (std::int64_t y = top; y < top + 2; ++y)
        for (std::int64_t xx = left; xx < left + 2; ++xx) expected[static_cast<std::size_t>(c * 16 + y * 4 + xx)] = -5;
    CHECK(values(erase(x, gen)) == expected);
  }
  // A rectangle that can never fit strictly inside (the whole image): unchanged.
  CHECK(values(RandomErasing{.p = 1.0, .scale_min = 1, .scale_max = 1, .ratio_min = 1, .ratio_max = 1}(x, gen)) == v);
  CHECK(values(RandomErasing{.p = 0.0}(x, gen)) == v);
  CHECK_THROWS_AS((RandomErasing{.scale_min = 0.5, .scale_max = 0.1}(x, gen)), ValueError);
  CHECK(values(x) == v);  // never written
}

TEST_CASE("transforms: Normalize per channel and for all, and Compose in order") {
  const Tensor x = image({1, 2, 3, 4, 10, 20, 30, 40}, 2, 2, 2);
  CHECK(values(Normalize{.mean = {1, 10}, .std = {2, 10}}(x)) == std::vector<double>{0, 0.5, 1, 1.5, 0, 1, 2, 3});
  CHECK(values(Normalize{.mean = {2}, .std = {0.5}}(x)) == std::vector<double>{-2, 0, 2, 4, 16, 36, 56, 76});
  // A batch [N, C, H, W]: channels at dim 1.
  const Tensor batch = stack({x, x}, 0);
  CHECK(values(Normalize{.mean = {1, 10}, .std = {2, 10}}(batch)) ==
        std::vector<double>{0, 0.5, 1, 1.5, 0, 1, 2, 3, 0, 0.5, 1, 1.5, 0, 1, 2, 3});
  CHECK_THROWS_AS((Normalize{.mean = {1, 2, 3}, .std = {1, 1, 1}}(x)), ShapeError);
  CHECK_THROWS_AS((Normalize{.mean = {1}, .std = {0}}(x)), ValueError);
  Generator gen(1);
  const Compose flip_then_normalize({RandomHorizontalFlip{.p = 1.0}, Normalize{.mean = {1}, .std = {1}}});
  CHECK(values(flip_then_normalize(x, gen)) == std::vector<double>{1, 0, 3, 2, 19, 9, 39, 29});
}

TEST_CASE("data loader: per-sample transforms are the same bits for any thread count, batch size and prefetch") {
  const std::int64_t n = 37;
  Tensor data = zeros({n, 1, 6, 6});
  for (std::int64_t i = 0; i < data.numel(); ++i) data.data<float>()[i] = static_cast<float>(i % 97) / 97.0F;
  const TensorDataset ds(data, arange(0, n, 1, {.dtype = DType::Int64}));
  const SampleTransform augment =
      Compose({RandomCrop{.height = 6, .width = 6, .padding = 2}, RandomHorizontalFlip{}, RandomErasing{}});
  const auto epoch_data = [&](std::int64_t batch, bool prefetch, int threads, std::int64_t epoch) {
    set_num_threads(threads);
    DataLoader loader(
        ds, {.batch_size = batch, .shuffle = true, .seed = 5, .prefetch = prefetch, .sample_transform = augment});
    loader.set_epoch(epoch);
    std::vector<double> out(static_cast<std::size_t>(data.numel()));
    for (const Batch& b : loader) {
      const std::vector<double> v = values(b.data);
      for (std::int64_t k = 0; k < b.target.numel(); ++k) {  // placed by sample index
        const std::int64_t idx = b.target.data<std::int64_t>()[k];
        std::copy_n(v.begin() + k * 36, 36, out.begin() + idx * 36);
      }
    }
    set_num_threads(0);
    return out;
  };
  const std::vector<double> reference = epoch_data(8, false, 1, 0);
  CHECK(epoch_data(8, true, 2, 0) == reference);
  CHECK(epoch_data(5, true, 2, 0) == reference);
  CHECK(epoch_data(37, false, 2, 0) == reference);
  CHECK(epoch_data(8, false, 1, 1) != reference);  // a new epoch, new augmentations
  // Each sample is its own generator's transform of its own row.
  const Tensor row = raw::as_strided(data, {1, 6, 6}, {36, 6, 1}, 3 * 36);
  std::uint64_t epoch_seed = (5 + 1) * 0xD1B54A32D192ED03ULL ^ (0 + 1) * 0x9E3779B97F4A7C15ULL;
  Generator gen(epoch_seed, 3);
  const std::vector<double> sample3 = values(augment(row, gen));
  CHECK(std::equal(sample3.begin(), sample3.end(), reference.begin() + 3 * 36));
}

TEST_CASE("data loader: a per-sample transform that changes shape between samples is an error") {
  const TensorDataset ds(zeros({4, 1, 3, 3}), zeros({4}, {.dtype = DType::Int64}));
  int calls = 0;
  DataLoader loader(ds, {.batch_size = 4, .prefetch = false, .sample_transform = [&](const Tensor& x, Generator&) {
                           return ++calls == 2 ? zeros({1, 2, 2}) : x.clone();
                         }});
  set_num_threads(1);
  CHECK_THROWS_AS(loader.begin(), ShapeError);
  set_num_threads(0);
}

TEST_CASE("confusion matrix: counts, accuracy per class, table and heat map") {
  ConfusionMatrix m(3);
  m.update(classes({0, 1, 1, 2, 2, 0}), classes({0, 1, 2, 2, 2, 1}));
  // true 0: predicted 0 once; true 1: 1 once, 0 once; true 2: 1 once, 2 twice.
  CHECK(m.count(0, 0) == 1);
  CHECK(m.count(1, 1) == 1);
  CHECK(m.count(1, 0) == 1);
  CHECK(m.count(2, 1) == 1);
  CHECK(m.count(2, 2) == 2);
  CHECK(m.total() == 6);
  CHECK(m.accuracy() == doctest::Approx(4.0 / 6.0));
  const std::vector<double> per_class = m.per_class_accuracy();
  CHECK(per_class[0] == 1.0);
  CHECK(per_class[1] == 0.5);
  CHECK(per_class[2] == doctest::Approx(2.0 / 3.0));
  const Tensor counts = m.counts();
  CHECK(counts.shape() == Shape{3, 3});
  CHECK(counts.data<std::int64_t>()[2 * 3 + 2] == 2);
  const std::string table = m.to_string({"a", "b", "c"});
  CHECK(table.find("2 c") != std::string::npos);
  CHECK(table.find("50.00%") != std::string::npos);
  const std::string svg = m.to_svg();
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("accuracy 66.67%") != std::string::npos);
  // A bad batch counts nothing.
  CHECK_THROWS_AS(m.update(classes({0, 3}), classes({0, 0})), IndexError);
  CHECK_THROWS_AS(m.update(classes({0}), classes({0, 0})), ShapeError);
  CHECK(m.total() == 6);
  CHECK(std::isnan(ConfusionMatrix(2).accuracy()));
  CHECK_THROWS_AS(m.to_string({"a"}), ValueError);
}
