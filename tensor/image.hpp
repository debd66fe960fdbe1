// Tensors as pictures: save_image writes a PNG that any viewer or browser opens, like
// torchvision.utils.save_image.
//
// Accepted shapes: [H, W] (grey), [C, H, W] and a batch [N, C, H, W] laid out as a grid of
// `nrow` images per row, `padding` pixels between and around them (a single image gets no
// padding). C is 1 (grey) or 3 (RGB). Values are floats in [0, 1]; values outside are
// clamped, each becomes the byte floor(255 v + 0.5). With `normalize`, [low, high] (by default
// the tensor's min and max) is first mapped onto [0, 1].
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "tensor/tensor.hpp"

namespace tg {

struct SaveImageOptions {
  std::int64_t nrow = 8;     // images per row of a grid
  std::int64_t padding = 2;  // pixels between and around the images of a grid
  double pad_value = 0.0;    // value of the padding, in [0, 1] (after normalizing)
  bool normalize = false;    // map value_range (default: min and max of the tensor) onto [0, 1]
  std::optional<std::pair<double, double>> value_range{};
};

// Written atomically (see write_file_atomically). Throws ValueError for a non-float dtype, a
// shape or option out of the above, or a NaN / infinite value; IOError when the file cannot
// be written.
void save_image(const Tensor& image, const std::string& path, const SaveImageOptions& options = {});

// The PNG bytes save_image writes (handy for tests and for sending elsewhere).
std::string encode_png(const Tensor& image, const SaveImageOptions& options = {});

}  // namespace tg
