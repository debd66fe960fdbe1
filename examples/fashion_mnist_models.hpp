// The networks of train_fashion_mnist, chosen with --net.
#pragma once

#include <memory>
#include <string>

#include "tapegrad.hpp"

namespace example {

using namespace tg;
using namespace tg::nn;

// conv(5x5, pad 2) -> relu -> maxpool -> conv(5x5) -> relu -> maxpool -> 3 linear layers.
struct LeNet5 : Module {
  std::shared_ptr<Sequential> features, classifier;
  LeNet5(std::int64_t c1, std::int64_t c2) : Module("LeNet5") {
    features = register_module(
        "features", std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
                        std::make_shared<Conv2d>(1, c1, 5, Conv2dLayerOptions{.padding = 2}), std::make_shared<ReLU>(),
                        std::make_shared<MaxPool2d>(), std::make_shared<Conv2d>(c1, c2, 5), std::make_shared<ReLU>(),
                        std::make_shared<MaxPool2d>(), std::make_shared<Flatten>()}));
    classifier = register_module(
        "classifier",
        std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
            std::make_shared<Linear>(c2 * 5 * 5, 120), std::make_shared<ReLU>(), std::make_shared<Linear>(120, 84),
            std::make_shared<ReLU>(), std::make_shared<Linear>(84, 10)}));
  }
  Tensor forward(const Tensor& x) override { return (*classifier)((*features)(x)); }
};

// Two VGG blocks of (conv 3x3 -> batch norm -> relu) x 2 -> maxpool -> dropout p / 2, with
// c1 and c2 filters, then linear(c2 * 7 * 7 -> 256) -> batch norm -> relu -> dropout p ->
// linear(256 -> 10): the shape of the small CNNs published at 92-94% on Fashion-MNIST.
struct VggBn : Module {
  std::shared_ptr<Sequential> features, classifier;
  VggBn(std::int64_t c1, std::int64_t c2, double dropout) : Module("VggBn") {
    auto net = std::make_shared<Sequential>();
    for (const auto& [in, out] : {std::pair{std::int64_t{1}, c1}, std::pair{c1, c2}}) {
      for (const std::int64_t from : {in, out}) {
        net->push_back(std::make_shared<Conv2d>(from, out, 3, Conv2dLayerOptions{.padding = 1, .bias = false}));
        net->push_back(std::make_shared<BatchNorm2d>(out));
        net->push_back(std::make_shared<ReLU>());
      }
      net->push_back(std::make_shared<MaxPool2d>());
      net->push_back(std::make_shared<Dropout>(dropout / 2));
    }
    net->push_back(std::make_shared<Flatten>());
    features = register_module("features", net);
    classifier = register_module(
        "classifier",
        std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
            std::make_shared<Linear>(c2 * 7 * 7, 256, LinearOptions{.bias = false}), std::make_shared<BatchNorm1d>(256),
            std::make_shared<ReLU>(), std::make_shared<Dropout>(dropout), std::make_shared<Linear>(256, 10)}));
  }
  Tensor forward(const Tensor& x) override { return (*classifier)((*features)(x)); }
};

}  // namespace example
