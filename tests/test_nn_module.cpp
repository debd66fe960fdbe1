// Module registry, printing, modes, and weight initialisation.
#include <doctest/doctest.h>

#include <cmath>

#include "tapegrad.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

struct Block : Module {
  Tensor scale, count;
  std::shared_ptr<Linear> fc;
  Block() : Module("Block") {
    scale = register_parameter("scale", ones({3}));
    count = register_buffer("count", zeros({}, {.dtype = i64}));
    fc = register_module("fc", std::make_shared<Linear>(3, 2));
  }
};

struct Net : Module {
  std::shared_ptr<Block> block;
  std::shared_ptr<Sequential> head;
  Net() : Module("Net") {
    block = register_module("block", std::make_shared<Block>());
    head = register_module(
        "head", std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
                    std::make_shared<Linear>(2, 4), std::make_shared<ReLU>(), std::make_shared<Dropout>(0.5, 7)}));
  }
};

std::vector<std::string> names(const std::vector<NamedTensor>& named) {
  std::vector<std::string> out;
  for (const auto& [n, t] : named) out.push_back(n);
  return out;
}

}  // namespace

TEST_CASE("nn module: named parameters and buffers are ordered with dotted names") {
  Net net;
  CHECK(names(net.named_parameters()) ==
        std::vector<std::string>{"block.scale", "block.fc.weight", "block.fc.bias", "head.0.weight", "head.0.bias"});
  CHECK(names(net.named_buffers()) == std::vector<std::string>{"block.count"});
  CHECK(names(net.named_state()) == std::vector<std::string>{"block.scale", "block.count", "block.fc.weight",
                                                             "block.fc.bias", "head.0.weight", "head.0.bias"});
  CHECK(net.parameters(false).empty());
  CHECK(net.num_parameters() == 3 + 6 + 2 + 8 + 4);
  for (const auto& p : net.parameters()) {
    CHECK(p.requires_grad());
    CHECK(p.is_leaf());
  }
  CHECK_FALSE(net.block->count.requires_grad());
  // The handle held by the layer is the registered tensor itself.
  CHECK(net.named_parameters()[1].second.is_same(net.block->fc->weight));
}

TEST_CASE("nn module: registration errors") {
  Module m("M");
  m.register_parameter("w", ones({2}));
  CHECK_THROWS_AS(m.register_parameter("w", ones({2})), ValueError);
  CHECK_THROWS_AS(m.register_buffer("w", ones({2})), ValueError);
  CHECK_THROWS_AS(m.register_module("w", std::make_shared<ReLU>()), ValueError);
  CHECK_THROWS_AS(m.register_parameter("a.b", ones({2})), ValueError);
  CHECK_THROWS_AS(m.register_parameter("", ones({2})), ValueError);
  CHECK_THROWS_AS(m.register_parameter("i", zeros({2}, {.dtype = i64})), DTypeError);
  CHECK_THROWS_AS(m.forward(ones({1})), Error);
  CHECK_THROWS_AS(Linear(0, 3), ValueError);
  CHECK_THROWS_AS(Conv2d(3, 4, 3, {.groups = 2}), ValueError);
}

TEST_CASE("nn module: train/eval reach the whole tree, zero_grad drops gradients") {
  Net net;
  CHECK(net.is_training());
  net.eval();
  CHECK_FALSE(net.head->is_training());
  CHECK_FALSE((*net.head)[2].is_training());
  net.train();
  CHECK((*net.head)[2].is_training());
  for (const auto& p : net.parameters()) p.set_grad(ones_like(p));
  net.zero_grad();
  for (const auto& p : net.parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("nn module: printout shows the tree with parameter counts") {
  Net net;
  const std::string s = net.to_string();
  CHECK(s ==
        "Net  [23 parameters]\n"
        "  (block): Block  [11 parameters]\n"
        "    (fc): Linear(in_features=3, out_features=2, bias=true)  [8 parameters]\n"
        "  (head): Sequential  [12 parameters]\n"
        "    (0): Linear(in_features=2, out_features=4, bias=true)  [12 parameters]\n"
        "    (1): ReLU  [0 parameters]\n"
        "    (2): Dropout(p=0.5)  [0 parameters]\n");
  CHECK(Conv2d(1, 6, 5, {.padding = 2}).describe() ==
        "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))");
}

TEST_CASE("nn init: PyTorch default bounds, fans and seeded repeatability") {
  manual_seed(1);
  Linear a(50, 20);
  manual_seed(1);
  Linear b(50, 20);
  CHECK(a.weight.to_vector() == b.weight.to_vector());
  CHECK(a.bias.to_vector() == b.bias.to_vector());
  Linear c(50, 20);
  CHECK(a.weight.to_vector() != c.weight.to_vector());
  const double bound = 1.0 / std::sqrt(50.0);
  double max_abs = 0.0;
  for (double v : a.weight.to_vector()) max_abs = std::max(max_abs, std::abs(v));
  CHECK(max_abs <= bound);
  CHECK(max_abs > 0.9 * bound);  // 1000 draws fill the interval
  for (double v : a.bias.to_vector()) CHECK(std::abs(v) <= bound);

  Conv2d conv(4, 8, {3, 5});
  CHECK(conv.weight.shape() == Shape{8, 4, 3, 5});
  CHECK(init::fan_in_and_fan_out(conv.weight) == std::pair<std::int64_t, std::int64_t>{60, 120});
  ConvTranspose2d convt(4, 8, 3);
  CHECK(convt.weight.shape() == Shape{4, 8, 3, 3});
  CHECK(init::fan_in_and_fan_out(convt.weight).first == 72);
  CHECK(init::calculate_gain(init::Nonlinearity::LeakyRelu, std::sqrt(5.0)) == doctest::Approx(std::sqrt(2.0 / 6.0)));
}

TEST_CASE("nn init: kaiming and xavier match their variances") {
  Generator gen(5);
  Tensor w = empty({400, 300}, {.dtype = f64});
  auto stats = [&] {
    double s = 0, s2 = 0, mx = 0;
    for (double v : w.to_vector()) {
      s += v;
      s2 += v * v;
      mx = std::max(mx, std::abs(v));
    }
    const double n = static_cast<double>(w.numel());
    return std::tuple{s / n, std::sqrt(s2 / n - (s / n) * (s / n)), mx};
  };
  init::kaiming_uniform_(w, {.nonlinearity = init::Nonlinearity::Relu}, gen);
  auto [m1, sd1, mx1] = stats();
  const double kstd = std::sqrt(2.0 / 300.0);
  CHECK(std::abs(m1) < 0.01 * kstd * 10);
  CHECK(sd1 == doctest::Approx(kstd).epsilon(0.01));
  CHECK(mx1 <= std::sqrt(3.0) * kstd);
  init::kaiming_normal_(w, {.mode = init::FanMode::FanOut, .nonlinearity = init::Nonlinearity::Relu}, gen);
  CHECK(std::get<1>(stats()) == doctest::Approx(std::sqrt(2.0 / 400.0)).epsilon(0.01));
  init::xavier_uniform_(w, 1.0, gen);
  auto [m3, sd3, mx3] = stats();
  CHECK(sd3 == doctest::Approx(std::sqrt(2.0 / 700.0)).epsilon(0.01));
  CHECK(mx3 <= std::sqrt(6.0 / 700.0));
  init::xavier_normal_(w, 2.0, gen);
  CHECK(std::get<1>(stats()) == doctest::Approx(2.0 * std::sqrt(2.0 / 700.0)).epsilon(0.01));
  CHECK_THROWS_AS(init::xavier_uniform_(empty({3})), ShapeError);
}
