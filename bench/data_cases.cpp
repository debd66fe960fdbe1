// The data loader over one epoch of Fashion-MNIST-shaped images (60,000 x 1 x 28 x 28
// float32, batch 64, shuffled, normalized), without augmentation and with the training
// example's augmentations, so that one run shows what the per-sample transforms cost next
// to a training step (tapegrad alone: libtorch has no C++ image transforms). The rate is
// the bytes of the images read and written per second.
#include <memory>

#include "bench/cases.hpp"
#include "nn/data/data.hpp"
#include "nn/data/transforms.hpp"
#include "tensor/random.hpp"

namespace tg::bench {
namespace {

constexpr std::int64_t kImages = 60000;

struct LoaderVariant {
  const char* name;
  nn::SampleTransform augment;
};

std::vector<LoaderVariant> loader_variants() {
  using namespace tg::nn;
  return {
      {"loader fashion-mnist epoch, no augmentation", {}},
      {"loader fashion-mnist epoch, crop+flip",
       Compose({RandomCrop{.height = 28, .width = 28, .padding = 2}, RandomHorizontalFlip{.p = 0.5}})},
      {"loader fashion-mnist epoch, crop+flip+erase",
       Compose({RandomCrop{.height = 28, .width = 28, .padding = 2}, RandomHorizontalFlip{.p = 0.5},
                RandomErasing{.p = 0.5}})},
  };
}

}  // namespace

std::vector<CaseGroup> data_cases() {
  CaseGroup group;
  for (const LoaderVariant& v : loader_variants()) group.names.push_back(v.name);
  group.make = [] {
    tg::Generator gen(5000);
    auto images =
        std::make_shared<nn::TensorDataset>(tg::rand({kImages, 1, 28, 28}, gen), tg::randint(0, 10, {kImages}, gen));
    std::vector<Variant> out;
    for (LoaderVariant& lv : loader_variants()) {
      Variant v;
      v.name = lv.name;
      v.work = 2.0 * static_cast<double>(images->data().numel()) * 4.0;  // each image read and written once
      v.bound = Bound::memcpy;
      auto loader = std::make_shared<nn::DataLoader>(
          *images, nn::DataLoaderOptions{.batch_size = 64,
                                         .shuffle = true,
                                         .seed = 1,
                                         .sample_transform = std::move(lv.augment),
                                         .transform = nn::Normalize{.mean = {0.2860}, .std = {0.3530}}});
      v.tapegrad = [loader] {
        for (const nn::Batch& b : *loader) (void)b;
      };
      out.push_back(std::move(v));
    }
    return out;
  };
  return {group};
}

}  // namespace tg::bench
