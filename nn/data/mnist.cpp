#include "nn/data/mnist.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "nn/data/idx.hpp"

namespace tg::nn {

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

std::string default_fashion_mnist_dir() {
  const char* env = std::getenv("TAPEGRAD_DATA_DIR");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string(kFashionMnistPackageDir);
}

namespace {

std::string find_file(const std::string& dir, const std::string& stem) {
  namespace fs = std::filesystem;
  constexpr const char* kHint =
      "install the data set with `sudo apt-get install dataset-fashion-mnist`, or point --data-dir / "
      "TAPEGRAD_DATA_DIR at a directory holding the MNIST-format files";
  TG_CHECK(fs::is_directory(dir), IOError, "mnist: data directory '{}' does not exist: {}", dir, kHint);
  for (const std::string& name : {stem + ".gz", stem}) {
    const fs::path p = fs::path(dir) / name;
    if (fs::is_regular_file(p)) return p.string();
  }
  fail<IOError>("mnist: neither {0}.gz nor {0} found in '{1}': {2}", stem, dir, kHint);
}

}  // namespace

TensorDataset load_mnist(const std::string& dir, MnistOptions options) {
  const std::string prefix = options.train ? "train" : "t10k";
  const std::string image_path = find_file(dir, prefix + "-images-idx3-ubyte");
  const std::string label_path = find_file(dir, prefix + "-labels-idx1-ubyte");
  const IdxArray images = read_idx(image_path);
  const IdxArray labels = read_idx(label_path);
  TG_CHECK(images.shape.size() == 3, IOError, "mnist: {}: expected 3 dims [N, H, W], got shape {}", image_path,
           images.shape);
  TG_CHECK(labels.shape.size() == 1, IOError, "mnist: {}: expected 1 dim [N], got shape {}", label_path, labels.shape);
  TG_CHECK(images.shape[0] == labels.shape[0], IOError, "mnist: {} holds {} images but {} holds {} labels", image_path,
           images.shape[0], label_path, labels.shape[0]);
  std::int64_t n = images.shape[0];
  if (options.limit > 0) n = std::min(n, options.limit);
  const std::int64_t h = images.shape[1], w = images.shape[2];

  Tensor x = empty({n, 1, h, w}, {.dtype = DType::Float32});
  float* px = x.data<float>();
  for (std::int64_t i = 0; i < n * h * w; ++i)
    px[i] = static_cast<float>(images.data[static_cast<std::size_t>(i)]) / 255.0f;
  Tensor y = empty({n}, {.dtype = DType::Int64});
  std::int64_t* py = y.data<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t label = labels.data[static_cast<std::size_t>(i)];
    TG_CHECK(label < options.num_classes, IOError, "mnist: {}: label {} of sample {} is out of range [0, {})",
             label_path, label, i, options.num_classes);
    py[i] = label;
  }
  return TensorDataset(x, y);
}

}  // namespace tg::nn
