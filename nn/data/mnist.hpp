// MNIST-format data sets (MNIST, Fashion-MNIST): the four IDX files of a directory,
// gzipped or not, checked for consistency and turned into tensors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/data/data.hpp"

namespace tg::nn {

// Where the Debian package dataset-fashion-mnist installs the files.
inline constexpr const char* kFashionMnistPackageDir = "/usr/share/datasets/fashion-mnist";

// $TAPEGRAD_DATA_DIR if set, else the package directory.
std::string default_fashion_mnist_dir();

// Fashion-MNIST's ten labels, by class index (T-shirt/top, Trouser, ..., Ankle boot).
const std::vector<std::string>& fashion_mnist_class_names();

struct MnistOptions {
  bool train = true;              // train-* (60,000) or t10k-* (10,000) files
  std::int64_t num_classes = 10;  // labels must be in [0, num_classes)
  std::int64_t limit = 0;         // keep only the first `limit` samples (0: all)
};

// images: float32 [N, 1, H, W] scaled to [0, 1]; targets: int64 [N]. Throws IOError
// naming the file and the problem; a missing directory or file names the apt-get line.
TensorDataset load_mnist(const std::string& dir, MnistOptions options = {});

}  // namespace tg::nn
