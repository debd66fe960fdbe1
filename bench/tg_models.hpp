// tapegrad's side of the networks several benchmarks build: LeNet-5 and ResNet's basic block
// (conv-BN-ReLU-conv-BN plus the shortcut), in torchvision's layout and registration order, so
// that parameters() lists the same tensors in the same order as libtorch's models.
#pragma once

#include <cstdint>
#include <memory>

#include "nn/nn.hpp"
#include "ops/elementwise.hpp"
#include "tensor/random.hpp"

namespace tg::bench {

// conv 1->6 5x5 pad 2, relu, max-pool 2, conv 6->16 5x5, relu, max-pool 2, flatten,
// linear 400->120->84->10 with relus (28x28 inputs).
inline std::shared_ptr<tg::nn::Sequential> tg_lenet5(tg::Generator& gen) {
  using namespace tg::nn;
  return std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
      std::make_shared<Conv2d>(1, 6, 5, Conv2dLayerOptions{.padding = 2}, gen), std::make_shared<ReLU>(),
      std::make_shared<MaxPool2d>(), std::make_shared<Conv2d>(6, 16, 5, Conv2dLayerOptions{}, gen),
      std::make_shared<ReLU>(), std::make_shared<MaxPool2d>(), std::make_shared<Flatten>(),
      std::make_shared<Linear>(400, 120, LinearOptions{}, gen), std::make_shared<ReLU>(),
      std::make_shared<Linear>(120, 84, LinearOptions{}, gen), std::make_shared<ReLU>(),
      std::make_shared<Linear>(84, 10, LinearOptions{}, gen)});
}

// The shortcut is the identity, or a 1x1 conv + BN ("downsample") when the shape changes.
class TgBasicBlock : public tg::nn::Module {
 public:
  TgBasicBlock(std::int64_t c_in, std::int64_t c_out, std::int64_t stride, tg::Generator& gen,
               tg::DType dtype = tg::DType::Float32)
      : Module("BasicBlock") {
    using namespace tg::nn;
    const BatchNorm2dOptions norm{.dtype = dtype};
    conv1_ = register_module(
        "conv1",
        std::make_shared<Conv2d>(
            c_in, c_out, 3, Conv2dLayerOptions{.stride = stride, .padding = 1, .bias = false, .dtype = dtype}, gen));
    bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(c_out, norm));
    conv2_ = register_module(
        "conv2", std::make_shared<Conv2d>(c_out, c_out, 3,
                                          Conv2dLayerOptions{.padding = 1, .bias = false, .dtype = dtype}, gen));
    bn2_ = register_module("bn2", std::make_shared<BatchNorm2d>(c_out, norm));
    if (stride != 1 || c_in != c_out) {
      downsample_ = register_module(
          "downsample",
          std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
              std::make_shared<Conv2d>(c_in, c_out, 1,
                                       Conv2dLayerOptions{.stride = stride, .bias = false, .dtype = dtype}, gen),
              std::make_shared<BatchNorm2d>(c_out, norm)}));
    }
  }
  tg::Tensor forward(const tg::Tensor& x) override {
    const tg::Tensor y = (*bn2_)((*conv2_)(tg::relu((*bn1_)((*conv1_)(x)))));
    return tg::relu(y + (downsample_ ? (*downsample_)(x) : x));
  }

 private:
  std::shared_ptr<tg::nn::Conv2d> conv1_, conv2_;
  std::shared_ptr<tg::nn::BatchNorm2d> bn1_, bn2_;
  std::shared_ptr<tg::nn::Sequential> downsample_;
};

}  // namespace tg::bench
