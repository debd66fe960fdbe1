// A convolutional autoencoder on Fashion-MNIST: two stride-2 convolutions encode a 28x28
// image into 32 maps of 7x7, two transposed convolutions decode it. Prints the
// reconstruction loss (it falls) and writes a PGM grid: originals on top, reconstructions below.
//
//   conv_autoencoder --epochs 2 --out-dir ae-run
#include <filesystem>
#include <fstream>

#include "nn_example_util.hpp"
#include "tapegrad.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

struct AutoEncoder : Module {
  std::shared_ptr<Sequential> encoder, decoder;
  AutoEncoder() : Module("AutoEncoder") {
    encoder = register_module(
        "encoder", std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
                       std::make_shared<Conv2d>(1, 16, 3, Conv2dLayerOptions{.stride = 2, .padding = 1}),
                       std::make_shared<ReLU>(),
                       std::make_shared<Conv2d>(16, 32, 3, Conv2dLayerOptions{.stride = 2, .padding = 1}),
                       std::make_shared<ReLU>()}));
    const ConvTranspose2dLayerOptions up{.stride = 2, .padding = 1, .output_padding = 1};
    decoder = register_module("decoder", std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
                                             std::make_shared<ConvTranspose2d>(32, 16, 3, up), std::make_shared<ReLU>(),
                                             std::make_shared<ConvTranspose2d>(16, 1, 3, up),
                                             std::make_shared<Sigmoid>()}));
  }
  Tensor forward(const Tensor& x) override { return decoder->forward(encoder->forward(x)); }
};

// Binary PGM (P5): row 0 the originals, row 1 their reconstructions, 2-pixel gaps.
void write_pgm(const std::string& path, const Tensor& originals, const Tensor& reconstructions) {
  const std::int64_t n = originals.size(0), s = 28, gap = 2;
  const std::int64_t width = n * (s + gap) + gap, height = 2 * (s + gap) + gap;
  std::vector<unsigned char> img(static_cast<std::size_t>(width * height), 255);
  const Tensor rows[2] = {raw::contiguous(originals), raw::contiguous(reconstructions)};
  for (int r = 0; r < 2; ++r) {
    const float* p = rows[r].data<float>();
    for (std::int64_t k = 0; k < n; ++k)
      for (std::int64_t i = 0; i < s; ++i)
        for (std::int64_t j = 0; j < s; ++j) {
          const float v = std::clamp(p[(k * s + i) * s + j], 0.0f, 1.0f);
          img[static_cast<std::size_t>((gap + r * (s + gap) + i) * width + gap + k * (s + gap) + j)] =
              static_cast<unsigned char>(255.0f * (1.0f - v) + 0.5f);  // dark garments on white
        }
  }
  std::ofstream f(path, std::ios::binary);
  f << "P5\n" << width << " " << height << "\n255\n";
  f.write(reinterpret_cast<const char*>(img.data()), static_cast<std::streamsize>(img.size()));
}

}  // namespace

int main(int argc, char** argv) {
  example::Flags flags(argc, argv,
                       {{"epochs", "2"}, {"batch-size", "64"}, {"lr", "0.002"}, {"threads", "0"}, {"seed", "1"},
                        {"data-dir", default_fashion_mnist_dir()}, {"out-dir", "autoencoder-run"}, {"limit", "0"},
                        {"images", "12"}},
                       {});
  if (flags.help()) {
    fmt::print("usage: conv_autoencoder [flags]\n{}", flags.usage());
    return 0;
  }
  try {
    if (flags.integer("threads") > 0) set_num_threads(static_cast<int>(flags.integer("threads")));
    const std::string out_dir = flags.str("out-dir");
    std::filesystem::create_directories(out_dir);
    const std::uint64_t seed = static_cast<std::uint64_t>(flags.integer("seed"));
    const TensorDataset train_set = load_mnist(flags.str("data-dir"), {.train = true, .limit = flags.integer("limit")});
    const TensorDataset test_set = load_mnist(flags.str("data-dir"), {.train = false});
    DataLoader loader(train_set, {.batch_size = flags.integer("batch-size"), .shuffle = true, .seed = seed});
    manual_seed(seed);
    AutoEncoder model;
    Adam optimizer(model.parameters(), {.lr = flags.real("lr")});
    fmt::print("{}", model.to_string());

    const std::int64_t shown = std::min<std::int64_t>(flags.integer("images"), test_set.size());
    std::vector<std::int64_t> idx(static_cast<std::size_t>(shown));
    for (std::int64_t i = 0; i < shown; ++i) idx[static_cast<std::size_t>(i)] = i;
    const Tensor originals = test_set.get(idx).data;
    auto test_loss = [&] {
      NoGradGuard no_grad;
      return mse_loss(model(originals), originals).item();
    };
    fmt::print("reconstruction loss (MSE) on {} test images before training: {:.5f}\n", shown, test_loss());
    for (std::int64_t epoch = 0; epoch < flags.integer("epochs"); ++epoch) {
      example::ProgressBar bar(fmt::format("epoch {}/{}", epoch + 1, flags.integer("epochs")), loader.num_batches());
      double loss_sum = 0;
      std::int64_t seen = 0, step = 0;
      for (const Batch& b : loader) {
        optimizer.zero_grad();
        const Tensor loss = mse_loss(model(b.data), b.data);
        loss.backward();
        optimizer.step();
        loss_sum += loss.item() * static_cast<double>(b.data.size(0));
        seen += b.data.size(0);
        bar.update(++step, fmt::format("loss {:.5f}", loss_sum / static_cast<double>(seen)), seen);
      }
      fmt::print("epoch {}: train loss {:.5f}, test loss {:.5f}\n", epoch + 1, loss_sum / static_cast<double>(seen),
                 test_loss());
      std::fflush(stdout);
    }
    Tensor reconstructions;
    {
      NoGradGuard no_grad;
      reconstructions = model(originals);
    }
    const std::string pgm = out_dir + "/reconstructions.pgm";
    write_pgm(pgm, originals, reconstructions);
    save_module(model, out_dir + "/autoencoder.safetensors");
    fmt::print("wrote {} (top: originals, bottom: reconstructions) and {}/autoencoder.safetensors\n", pgm, out_dir);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
