// A convolutional autoencoder on Fashion-MNIST: two stride-2 convolutions encode a 28x28
// image into 32 maps of 7x7, two transposed convolutions decode it. Prints the
// reconstruction loss (it falls) and writes a PNG grid: originals on top, reconstructions below.
//
//   conv_autoencoder --epochs 2 --out-dir ae-run
#include <CLI/CLI.hpp>
#include <filesystem>

#include "nn_example_util.hpp"
#include "tapegrad.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

struct AutoEncoder : Module {
  std::shared_ptr<Sequential> encoder, decoder;
  AutoEncoder() : Module("AutoEncoder") {
    encoder = register_module(
        "encoder",
        std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
            std::make_shared<Conv2d>(1, 16, 3, Conv2dLayerOptions{.stride = 2, .padding = 1}), std::make_shared<ReLU>(),
            std::make_shared<Conv2d>(16, 32, 3, Conv2dLayerOptions{.stride = 2, .padding = 1}),
            std::make_shared<ReLU>()}));
    const ConvTranspose2dLayerOptions up{.stride = 2, .padding = 1, .output_padding = 1};
    decoder =
        register_module("decoder", std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
                                       std::make_shared<ConvTranspose2d>(32, 16, 3, up), std::make_shared<ReLU>(),
                                       std::make_shared<ConvTranspose2d>(16, 1, 3, up), std::make_shared<Sigmoid>()}));
  }
  Tensor forward(const Tensor& x) override { return decoder->forward(encoder->forward(x)); }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"A convolutional autoencoder on Fashion-MNIST; writes a PNG of originals and reconstructions."};
  std::int64_t epochs = 2, batch_size = 64, limit = 0, images = 12;
  double lr = 0.002;
  int threads = 0;
  std::uint64_t seed = 1;
  std::string data_dir = default_fashion_mnist_dir(), out_dir = "autoencoder-run";
  app.add_option("--epochs", epochs, "passes over the training set")->capture_default_str();
  app.add_option("--batch-size", batch_size, "training images per step")->capture_default_str();
  app.add_option("--lr", lr, "Adam's learning rate")->capture_default_str();
  app.add_option("--threads", threads, "threads for the kernels (0: the machine's cores)")->capture_default_str();
  app.add_option("--seed", seed, "seed of the weights and of the shuffling")->capture_default_str();
  app.add_option("--data-dir", data_dir, "folder of the Fashion-MNIST IDX files")->capture_default_str();
  app.add_option("--out-dir", out_dir, "folder for the picture and the weights")->capture_default_str();
  app.add_option("--limit", limit, "train on the first N images only (0: all)")->capture_default_str();
  app.add_option("--images", images, "test images shown in the picture")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    if (threads > 0) set_num_threads(threads);
    std::filesystem::create_directories(out_dir);
    const TensorDataset train_set = load_mnist(data_dir, {.train = true, .limit = limit});
    const TensorDataset test_set = load_mnist(data_dir, {.train = false});
    DataLoader loader(train_set, {.batch_size = batch_size, .shuffle = true, .seed = seed});
    manual_seed(seed);
    AutoEncoder model;
    Adam optimizer(model.parameters(), {.lr = lr});
    fmt::print("{}", model.to_string());

    const std::int64_t shown = std::min<std::int64_t>(images, test_set.size());
    std::vector<std::int64_t> idx(static_cast<std::size_t>(shown));
    for (std::int64_t i = 0; i < shown; ++i) idx[static_cast<std::size_t>(i)] = i;
    const Tensor originals = test_set.get(idx).data;
    auto test_loss = [&] {
      NoGradGuard no_grad;
      return mse_loss(model(originals), originals).item();
    };
    fmt::print("reconstruction loss (MSE) on {} test images before training: {:.5f}\n", shown, test_loss());
    for (std::int64_t epoch = 0; epoch < epochs; ++epoch) {
      example::ProgressBar bar(fmt::format("epoch {}/{}", epoch + 1, epochs), loader.num_batches());
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
    // One row of originals, one of their reconstructions; dark garments on white, as printed.
    const std::string png = out_dir + "/reconstructions.png";
    save_image(1.0 - cat({originals, reconstructions}, 0), png, {.nrow = shown, .pad_value = 1.0});
    save_module(model, out_dir + "/autoencoder.safetensors");
    fmt::print("wrote {} (top: originals, bottom: reconstructions) and {}/autoencoder.safetensors\n", png, out_dir);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
