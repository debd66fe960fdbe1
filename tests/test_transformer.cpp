// MultiheadAttention and the transformer layers against compositions written here from
// their parameters with plain matmul / softmax / mean, masks against explicit loops,
// gradients of whole layers (gradcheck, float64), thread independence, names and errors.
#include "attention_test_util.hpp"

using namespace tg;
using namespace attention_test;

namespace {

// Multi-head attention from the parameters, one head at a time, mask [B, L, S] additive.
Tensor composed_mha(const nn::MultiheadAttention& m, const Tensor& q_in, const Tensor& k_in, const Tensor& v_in,
                    std::int64_t heads, const Tensor& mask) {
  const std::int64_t e = q_in.size(2), d = e / heads;
  const auto proj = [&](const Tensor& x, std::int64_t i) {
    return matmul(x, transpose(slice(m.in_proj_weight, 0, i * e, (i + 1) * e), 0, 1)) +
           slice(m.in_proj_bias, 0, i * e, (i + 1) * e);
  };
  const Tensor q = proj(q_in, 0), k = proj(k_in, 1), v = proj(v_in, 2);
  std::vector<Tensor> outs;
  for (std::int64_t h = 0; h < heads; ++h) {
    const Tensor qh = slice(q, 2, h * d, (h + 1) * d), kh = slice(k, 2, h * d, (h + 1) * d);
    Tensor scores = matmul(qh, transpose(kh, 1, 2)) / std::sqrt(static_cast<double>(d));
    if (mask.defined()) scores = scores + mask;
    outs.push_back(matmul(softmax(scores, 2), slice(v, 2, h * d, (h + 1) * d)));
  }
  return matmul(cat(outs, 2), transpose(m.out_proj->weight, 0, 1)) + m.out_proj->bias;
}

Tensor composed_layer_norm(const Tensor& x, const nn::LayerNorm& ln) {
  const Tensor c = x - mean(x, {-1}, true);
  return c / sqrt(mean(c * c, {-1}, true) + 1e-5) * ln.weight + ln.bias;
}

// The pre-norm block from its parameters (eval mode: no dropout), exact-GELU FFN written with erf.
Tensor composed_block(const nn::TransformerBlock& t, const Tensor& x, std::int64_t heads, const Tensor& mask) {
  const Tensor h = composed_layer_norm(x, *t.norm1);
  const Tensor a = x + composed_mha(*t.self_attn, h, h, h, heads, mask);
  const Tensor u = matmul(composed_layer_norm(a, *t.norm2), transpose(t.linear1->weight, 0, 1)) + t.linear1->bias;
  const Tensor f = 0.5 * u * (1.0 + erf(u / std::sqrt(2.0)));
  return a + matmul(f, transpose(t.linear2->weight, 0, 1)) + t.linear2->bias;
}

// An additive [B, L, S] mask: -inf where blocked(b, i, j).
Tensor additive(std::int64_t b, std::int64_t l, std::int64_t s,
                const std::function<bool(std::int64_t, std::int64_t, std::int64_t)>& blocked) {
  Tensor m = zeros({b, l, s}, {.dtype = DType::Float64});
  for (std::int64_t n = 0; n < b; ++n)
    for (std::int64_t i = 0; i < l; ++i)
      for (std::int64_t j = 0; j < s; ++j)
        if (blocked(n, i, j)) m.set_value({n, i, j}, -INFINITY);
  return m;
}

nn::TransformerLayerOptions small_options() {
  return {.d_model = 4, .nhead = 2, .dim_feedforward = 6, .dropout = 0.1, .dtype = DType::Float64};
}

}  // namespace

TEST_CASE("MultiheadAttention: parameters named and initialised as PyTorch's") {
  manual_seed(5);
  nn::MultiheadAttention m(8, 2);
  const auto named = m.named_parameters();
  REQUIRE(named.size() == 4);
  CHECK(named[0].first == "in_proj_weight");
  CHECK(named[1].first == "in_proj_bias");
  CHECK(named[2].first == "out_proj.weight");
  CHECK(named[3].first == "out_proj.bias");
  CHECK(m.in_proj_weight.shape() == Shape{24, 8});
  CHECK(equal(m.in_proj_bias, zeros({24})));
  CHECK(equal(m.out_proj->bias, zeros({8})));
  // xavier_uniform over fan_in 8, fan_out 24: bound sqrt(6 / 32).
  CHECK(max(abs(m.in_proj_weight)).item<double>() <= std::sqrt(6.0 / 32.0));
  CHECK(max(abs(m.in_proj_weight)).item<double>() > 0.8 * std::sqrt(6.0 / 32.0));
  CHECK(nn::MultiheadAttention(8, 2, {.bias = false}).named_parameters().size() == 2);
}

TEST_CASE("MultiheadAttention matches a per-head composition; masks as explicit loops") {
  Generator gen(91);
  nn::MultiheadAttention m(6, 3, {.dtype = DType::Float64});
  nn::init::uniform_(m.in_proj_bias, -0.5, 0.5, gen);
  nn::init::uniform_(m.out_proj->bias, -0.5, 0.5, gen);
  const Tensor q = rand64({2, 4, 6}, gen, false), kv = rand64({2, 5, 6}, gen, false);
  CHECK(allclose(m(q), composed_mha(m, q, q, q, 3, {}), 1e-12, 1e-12));
  CHECK(allclose(m.forward(q, kv, kv), composed_mha(m, q, kv, kv, 3, {}), 1e-12, 1e-12));
  // key padding: batch 0 ignores key 4, batch 1 keys 0 and 1; attn_mask (bool) blocks (i, j) with i + j == 3.
  Tensor padding = zeros({2, 5}, {.dtype = DType::Bool});
  padding.set_value({0, 4}, 1);
  padding.set_value({1, 0}, 1);
  padding.set_value({1, 1}, 1);
  Tensor blocked = zeros({4, 5}, {.dtype = DType::Bool});
  for (std::int64_t i = 0; i < 4; ++i) blocked.set_value({i, 3 - i}, 1);
  const Tensor expected = composed_mha(m, q, kv, kv, 3, additive(2, 4, 5, [](auto n, auto i, auto j) {
                                         return (n == 0 && j == 4) || (n == 1 && j < 2) || i + j == 3;
                                       }));
  CHECK(allclose(m.forward(q, kv, kv, {.key_padding_mask = padding, .attn_mask = blocked}), expected, 1e-12, 1e-12));
  // A float attn_mask is additive; is_causal is the lower triangle.
  const Tensor causal = composed_mha(m, q, q, q, 3, additive(2, 4, 4, [](auto, auto i, auto j) { return j > i; }));
  CHECK(allclose(m.forward(q, q, q, {.is_causal = true}), causal, 1e-12, 1e-12));
  CHECK(allclose(m.forward(q, q, q, {.attn_mask = causal_attention_mask(4, 4, DType::Float64)}), causal, 1e-12, 1e-12));
}

TEST_CASE("MultiheadAttention gradients: gradcheck over input and all parameters (float64)") {
  Generator gen(92);
  nn::MultiheadAttention m(4, 2, {.dtype = DType::Float64});
  nn::init::uniform_(m.in_proj_bias, -0.5, 0.5, gen);
  const Tensor x = rand64({2, 3, 4}, gen);
  const auto f = [&](const std::vector<Tensor>& in) {
    m.in_proj_weight = in[1];
    m.in_proj_bias = in[2];
    m.out_proj->weight = in[3];
    m.out_proj->bias = in[4];
    return m.forward(in[0], in[0], in[0], {.is_causal = true});
  };
  CHECK(gradcheck(f, {x, m.in_proj_weight, m.in_proj_bias, m.out_proj->weight, m.out_proj->bias}).passed);
}

TEST_CASE("transformer layers: pre-norm block as composed here; decoder-only = encoder with the causal mask") {
  manual_seed(93);
  nn::TransformerEncoderLayer enc(small_options());
  nn::TransformerDecoderOnlyLayer dec(small_options());
  enc.eval();
  dec.eval();
  // Same parameters in both layers.
  const std::vector<Tensor> from = enc.parameters();
  std::vector<Tensor> to = dec.parameters();
  REQUIRE(from.size() == to.size());
  {
    NoGradGuard no_grad;
    for (std::size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  }
  Generator gen(94);
  const Tensor x = rand64({2, 3, 4}, gen, false);
  CHECK(allclose(enc(x), composed_block(enc, x, 2, {}), 1e-12, 1e-12));
  const Tensor causal = additive(2, 3, 3, [](auto, auto i, auto j) { return j > i; });
  CHECK(allclose(dec(x), composed_block(enc, x, 2, causal), 1e-12, 1e-12));
  CHECK(allclose(dec(x), enc.forward(x, {.is_causal = true}), 0.0, 0.0));
  // Decoder-only: position i does not see positions after it.
  Tensor changed = x.clone();
  changed.set_value({0, 2, 1}, 5.0);
  CHECK(allclose(slice(dec(changed), 1, 0, 2), slice(dec(x), 1, 0, 2), 0.0, 0.0));
  CHECK(!allclose(slice(enc(changed), 1, 0, 2), slice(enc(x), 1, 0, 2)));
}

TEST_CASE("transformer layers: parameter names as PyTorch's TransformerEncoderLayer, dim_feedforward 4 d_model") {
  nn::TransformerDecoderOnlyLayer t({.d_model = 8, .nhead = 2});
  std::vector<std::string> names;
  for (const auto& [name, p] : t.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"self_attn.in_proj_weight", "self_attn.in_proj_bias",
                                          "self_attn.out_proj.weight", "self_attn.out_proj.bias", "linear1.weight",
                                          "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight",
                                          "norm1.bias", "norm2.weight", "norm2.bias"});
  CHECK(t.linear1->weight.shape() == Shape{32, 8});
}

TEST_CASE("transformer layer gradients: gradcheck over the input and every parameter (float64, eval)") {
  manual_seed(95);
  nn::TransformerDecoderOnlyLayer t(small_options());
  t.eval();
  Generator gen(96);
  std::vector<Tensor> inputs{rand64({2, 3, 4}, gen)};
  for (const Tensor& p : t.parameters()) inputs.push_back(p.detach().clone().set_requires_grad(true));
  // Non-trivial norms: weights around 1, biases around 0.
  const auto f = [&](const std::vector<Tensor>& in) {
    Tensor* slots[] = {&t.self_attn->in_proj_weight,
                       &t.self_attn->in_proj_bias,
                       &t.self_attn->out_proj->weight,
                       &t.self_attn->out_proj->bias,
                       &t.linear1->weight,
                       &t.linear1->bias,
                       &t.linear2->weight,
                       &t.linear2->bias,
                       &t.norm1->weight,
                       &t.norm1->bias,
                       &t.norm2->weight,
                       &t.norm2->bias};
    for (std::size_t i = 0; i < 12; ++i) *slots[i] = in[i + 1];
    return t(in[0]);
  };
  CHECK(gradcheck(f, inputs, {.atol = 1e-6}).passed);
}

TEST_CASE("a transformer layer's forward and backward give the same bits for 1 and 2 threads") {
  manual_seed(97);
  nn::TransformerDecoderOnlyLayer t({.d_model = 64, .nhead = 4});
  t.eval();
  Generator gen(98);
  const Tensor x = uniform({4, 32, 64}, -1.0, 1.0, gen).set_requires_grad(true);
  check_thread_independent([&] {
    const Tensor y = t(x);
    std::vector<Tensor> out = grad({sum(y * y)}, {x, t.self_attn->in_proj_weight, t.norm1->weight});
    out.push_back(y);
    return out;
  });
}

TEST_CASE("MultiheadAttention and transformer errors name the layer and the shapes") {
  CHECK(error_of<ValueError>([] { nn::MultiheadAttention(6, 4); }) ==
        "MultiheadAttention: embed_dim 6 must be a positive multiple of num_heads 4");
  nn::MultiheadAttention m(4, 2);
  CHECK(error_of<ShapeError>([&] {
          m(zeros({2, 3, 5}));
        }) ==
        "MultiheadAttention: query [2, 3, 5] [B, L, E], key [2, 3, 5] and value [2, 3, 5] [B, S, E] do not match "
        "embed_dim 4");
  CHECK(error_of<ShapeError>([&] {
          m.forward(zeros({2, 3, 4}), zeros({2, 3, 4}), zeros({2, 3, 4}), {.key_padding_mask = zeros({3, 2})});
        }) == "MultiheadAttention: key_padding_mask has shape [3, 2], expected [B, S] = [2, 3]");
  CHECK(error_of<ValueError>([] { nn::TransformerEncoderLayer({.d_model = 4}); }).find("TransformerEncoderLayer") !=
        std::string::npos);
}
