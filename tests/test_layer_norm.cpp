// layer_norm against a long-double loop, its fused first-order backward against finite
// differences and against the same rule written with ops (create_graph), thread
// independence, errors, and nn::LayerNorm.
#include "attention_test_util.hpp"

using namespace tg;
using namespace attention_test;

TEST_CASE("layer_norm matches a long-double loop, with and without affine, float64 and float32") {
  Generator gen(71);
  const Tensor x = rand64({3, 2, 5}, gen, false) * 3.0 + 0.5;
  const Tensor w = rand64({2, 5}, gen, false), b = rand64({2, 5}, gen, false);
  const std::vector<long double> affine = naive_layer_norm(x.to_vector(), 10, w.to_vector(), b.to_vector(), 1e-5);
  check_close(layer_norm(x, {2, 5}, w, b), affine, 1e-13);
  check_close(layer_norm(x.to(DType::Float32), {2, 5}, w.to(DType::Float32), b.to(DType::Float32)), affine, 2e-6);
  check_close(layer_norm(x, {5}, {}, {}, 0.25), naive_layer_norm(x.to_vector(), 5, {}, {}, 0.25), 1e-13);
  check_close(layer_norm(x, {5}, w.reshape({10}).slice(0, 0, 5)),
              naive_layer_norm(x.to_vector(), 5, slice(w.reshape({10}), 0, 0, 5).to_vector(), {}, 1e-5), 1e-13);
}

TEST_CASE("layer_norm gradients: gradcheck and gradgradcheck without affine, weight only and bias only") {
  Generator gen(72);
  const Tensor x = rand64({3, 4}, gen), w = rand64({4}, gen), b = rand64({4}, gen);
  CHECK(gradcheck([](const std::vector<Tensor>& in) { return layer_norm(in[0], {4}); }, {x}).passed);
  CHECK(gradgradcheck([](const std::vector<Tensor>& in) { return layer_norm(in[0], {4}); }, {x}).passed);
  CHECK(gradcheck([](const std::vector<Tensor>& in) { return layer_norm(in[0], {4}, in[1]); }, {x, w}).passed);
  CHECK(gradcheck([](const std::vector<Tensor>& in) { return layer_norm(in[0], {4}, {}, in[1]); }, {x, b}).passed);
  CHECK(gradgradcheck([](const std::vector<Tensor>& in) { return layer_norm(in[0], {4}, in[1]); }, {x, w}).passed);
}

TEST_CASE("layer_norm's fused backward equals the rule written with ops (the create_graph path)") {
  Generator gen(73);
  const Tensor x = rand64({6, 3, 7}, gen), w = rand64({3, 7}, gen), b = rand64({3, 7}, gen);
  const Tensor g = rand64({6, 3, 7}, gen, false);
  const Tensor y = layer_norm(x, {3, 7}, w, b);
  const std::vector<Tensor> fused = grad({y}, {x, w, b}, {g}, {.retain_graph = true});
  const std::vector<Tensor> with_ops = grad({y}, {x, w, b}, {g}, {.create_graph = true});
  for (std::size_t i = 0; i < 3; ++i) CHECK(allclose(fused[i], with_ops[i].detach(), 1e-12, 1e-12));
  // dbias is the plain sum of g over rows; dweight the sum of g * x_hat.
  CHECK(allclose(fused[2], sum(g, {0}), 1e-12, 1e-12));
}

TEST_CASE("layer_norm forward and backward give the same bits for 1 and 2 threads") {
  Generator gen(74);
  const Tensor x = uniform({256, 300}, -2.0, 2.0, gen).set_requires_grad(true);
  const Tensor w = uniform({300}, 0.5, 1.5, gen).set_requires_grad(true);
  const Tensor b = uniform({300}, -1.0, 1.0, gen).set_requires_grad(true);
  const Tensor g = randn({256, 300}, gen);
  check_thread_independent([&] {
    const Tensor y = layer_norm(x, {300}, w, b);
    std::vector<Tensor> out = grad({y}, {x, w, b}, {g});
    out.push_back(y);
    return out;
  });
}

TEST_CASE("layer_norm errors name the op and the shapes") {
  const Tensor x = zeros({2, 3, 4});
  CHECK(error_of<ShapeError>([&] { layer_norm(x, {3}); }) ==
        "layer_norm: input shape [2, 3, 4] does not end in normalized_shape [3]");
  CHECK(error_of<ShapeError>([&] { layer_norm(x, {4}, ones({3})); }) ==
        "layer_norm: weight has shape [3], expected normalized_shape [4]");
  CHECK(error_of<DTypeError>([&] { layer_norm(x, {4}, {}, zeros({4}, {.dtype = DType::Float64})); }) ==
        "layer_norm: bias has dtype float64, input float32");
  CHECK(error_of<ShapeError>([&] { layer_norm(x, {}); }).find("normalized_shape must have at least one dim") !=
        std::string::npos);
}

TEST_CASE("nn::LayerNorm: weight ones and bias zeros, named as PyTorch; no parameters without affine") {
  nn::LayerNorm ln({2, 3}, {.eps = 1e-3});
  const auto named = ln.named_parameters();
  REQUIRE(named.size() == 2);
  CHECK(named[0].first == "weight");
  CHECK(named[1].first == "bias");
  CHECK(equal(ln.weight, ones({2, 3})));
  CHECK(equal(ln.bias, zeros({2, 3})));
  Generator gen(75);
  const Tensor x = uniform({4, 2, 3}, -1.0, 1.0, gen);
  CHECK(equal(ln(x), layer_norm(x, {2, 3}, ln.weight, ln.bias, 1e-3)));
  nn::LayerNorm plain({3}, {.elementwise_affine = false});
  CHECK(plain.parameters().empty());
  CHECK(equal(plain(x), layer_norm(x, {3})));
  CHECK(ln.describe() == "LayerNorm(normalized_shape=[2, 3], eps=0.001, elementwise_affine=true)");
}
