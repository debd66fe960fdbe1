// scaled_dot_product_attention against a long-double loop (masks, causal, scale), its
// gradients, strided operands, fully masked rows, thread independence and errors.
#include "attention_test_util.hpp"

using namespace tg;
using namespace attention_test;

namespace {

const auto all_allowed = [](std::int64_t, std::int64_t) { return true; };
const auto causal = [](std::int64_t i, std::int64_t j) { return j <= i; };

// The loop applied to each of the `batches` leading matrices; mask [l, s] shared by all.
std::vector<long double> naive_batched(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                       long double scale,
                                       const std::function<bool(std::int64_t, std::int64_t)>& allowed) {
  const std::int64_t l = q.size(-2), e = q.size(-1), s = k.size(-2), ev = v.size(-1);
  const std::int64_t batches = q.numel() / (l * e);
  const std::vector<double> qv = q.to_vector(), kv = k.to_vector(), vv = v.to_vector();
  const std::vector<double> mv = mask.defined() ? mask.to_vector() : std::vector<double>{};
  std::vector<long double> out;
  for (std::int64_t b = 0; b < batches; ++b) {
    const auto part = [](const std::vector<double>& x, std::int64_t b, std::int64_t n) {
      return std::vector<double>(x.begin() + b * n, x.begin() + (b + 1) * n);
    };
    const std::vector<long double> o =
        naive_attention(part(qv, b, l * e), part(kv, b, s * e), part(vv, b, s * ev), mv, l, s, e, ev, scale, allowed);
    out.insert(out.end(), o.begin(), o.end());
  }
  return out;
}

}  // namespace

TEST_CASE("scaled_dot_product_attention matches a long-double loop: mask, default and explicit scale") {
  Generator gen(81);
  const Tensor q = rand64({2, 3, 4, 3}, gen, false), k = rand64({2, 3, 5, 3}, gen, false) * 2.0;
  const Tensor v = rand64({2, 3, 5, 2}, gen, false), mask = rand64({4, 5}, gen, false);
  const long double default_scale = 1.0L / std::sqrt(3.0L);
  check_close(scaled_dot_product_attention(q, k, v), naive_batched(q, k, v, {}, default_scale, all_allowed), 1e-13);
  const std::vector<long double> masked = naive_batched(q, k, v, mask, 0.5L, all_allowed);
  check_close(scaled_dot_product_attention(q, k, v, mask, {.scale = 0.5}), masked, 1e-13);
  const auto f32 = [](const Tensor& t) { return t.to(DType::Float32); };
  check_close(scaled_dot_product_attention(f32(q), f32(k), f32(v), f32(mask), {.scale = 0.5}), masked, 2e-6);
}

TEST_CASE("causal attention masks keys after the query, top-left aligned for L != S, as an explicit loop") {
  Generator gen(82);
  for (const auto& [l, s] : {std::pair<std::int64_t, std::int64_t>{4, 4}, {5, 3}, {3, 6}}) {
    CAPTURE(l);
    CAPTURE(s);
    const Tensor q = rand64({2, l, 3}, gen, false), k = rand64({2, s, 3}, gen, false),
                 v = rand64({2, s, 4}, gen, false);
    const Tensor mask = rand64({2, 1, s}, gen, false);  // per batch entry, broadcast over queries
    const std::vector<long double> expected_unmasked = naive_batched(q, k, v, {}, 1.0L / std::sqrt(3.0L), causal);
    check_close(scaled_dot_product_attention(q, k, v, {}, {.is_causal = true}), expected_unmasked, 1e-13);
    // The causal mask and an explicit -inf mask built by hand agree.
    Tensor explicit_mask = zeros({l, s}, {.dtype = DType::Float64});
    for (std::int64_t i = 0; i < l; ++i)
      for (std::int64_t j = i + 1; j < s; ++j) explicit_mask.set_value({i, j}, -INFINITY);
    CHECK(allclose(scaled_dot_product_attention(q, k, v, explicit_mask),
                   scaled_dot_product_attention(q, k, v, {}, {.is_causal = true}), 0.0, 0.0));
    // A per-batch mask with causal: batch entry b uses mask[b] for every query.
    const Tensor got = scaled_dot_product_attention(q, k, v, mask, {.is_causal = true, .scale = 0.8});
    for (std::int64_t b = 0; b < 2; ++b) {
      const Tensor row_mask = expand(slice(mask, 0, b, b + 1).reshape({1, s}), {l, s});
      check_close(slice(got, 0, b, b + 1),
                  naive_batched(slice(q, 0, b, b + 1), slice(k, 0, b, b + 1), slice(v, 0, b, b + 1),
                                row_mask.contiguous(), 0.8L, causal),
                  1e-13);
    }
  }
}

TEST_CASE("a query whose every key is masked gives NaN, as PyTorch's math path; the other rows are unaffected") {
  Generator gen(83);
  const Tensor q = rand64({3, 2}, gen, false), k = rand64({4, 2}, gen, false), v = rand64({4, 2}, gen, false);
  Tensor mask = zeros({3, 4}, {.dtype = DType::Float64});
  for (std::int64_t j = 0; j < 4; ++j) mask.set_value({1, j}, -INFINITY);
  const Tensor out = scaled_dot_product_attention(q, k, v, mask);
  const std::vector<double> o = out.to_vector();
  CHECK(std::isnan(o[2]));
  CHECK(std::isnan(o[3]));
  const Tensor others =
      scaled_dot_product_attention(index_select(q, 0, from_vector(std::vector<std::int64_t>{0, 2}, {2})), k, v);
  CHECK(o[0] == others.to_vector()[0]);
  CHECK(o[5] == others.to_vector()[3]);
}

TEST_CASE("attention gradients: gradcheck and gradgradcheck without a mask, causal, and with a key padding mask") {
  Generator gen(84);
  const Tensor q = rand64({2, 3, 4}, gen), k = rand64({2, 5, 4}, gen), v = rand64({2, 5, 3}, gen);
  const auto plain = [](const std::vector<Tensor>& in) { return scaled_dot_product_attention(in[0], in[1], in[2]); };
  const auto with_causal = [](const std::vector<Tensor>& in) {
    return scaled_dot_product_attention(in[0], in[1], in[2], {}, {.is_causal = true});
  };
  Tensor padding = zeros({2, 1, 5}, {.dtype = DType::Float64});
  padding.set_value({0, 0, 4}, -INFINITY);
  padding.set_value({1, 0, 0}, -INFINITY);
  const auto padded = [&](const std::vector<Tensor>& in) {
    return scaled_dot_product_attention(in[0], in[1], in[2], padding);
  };
  for (const auto& f : {TensorFn(plain), TensorFn(with_causal), TensorFn(padded)}) {
    CHECK(gradcheck(f, {q, k, v}).passed);
    CHECK(gradgradcheck(f, {q, k, v}).passed);
  }
}

TEST_CASE("attention's first-order backward (saved probabilities) equals the recomputed create_graph path") {
  Generator gen(85);
  const Tensor q = rand64({2, 2, 6, 4}, gen), k = rand64({2, 2, 7, 4}, gen), v = rand64({2, 2, 7, 5}, gen);
  const Tensor mask = rand64({6, 7}, gen), g = rand64({2, 2, 6, 5}, gen, false);
  const Tensor y = scaled_dot_product_attention(q, k, v, mask, {.is_causal = true});
  const std::vector<Tensor> saved = grad({y}, {q, k, v, mask}, {g}, {.retain_graph = true});
  const std::vector<Tensor> recomputed = grad({y}, {q, k, v, mask}, {g}, {.create_graph = true});
  for (std::size_t i = 0; i < 4; ++i) CHECK(allclose(saved[i], recomputed[i].detach(), 1e-12, 1e-12));
}

TEST_CASE("attention reads head-split views through their strides: same bits as contiguous copies") {
  Generator gen(86);
  // [B, L, H, D] permuted to [B, H, L, D], as multi-head attention splits heads.
  const Tensor q = uniform({2, 5, 3, 4}, -1.0, 1.0, gen).permute({0, 2, 1, 3});
  const Tensor k = uniform({2, 6, 3, 4}, -1.0, 1.0, gen).permute({0, 2, 1, 3});
  const Tensor v = uniform({2, 6, 3, 4}, -1.0, 1.0, gen).permute({0, 2, 1, 3});
  const Tensor a = scaled_dot_product_attention(q, k, v, {}, {.is_causal = true});
  const Tensor b = scaled_dot_product_attention(contiguous(q), contiguous(k), contiguous(v), {}, {.is_causal = true});
  CHECK(allclose(a, b, 0.0, 0.0));
}

TEST_CASE("attention forward and backward give the same bits for 1 and 2 threads") {
  Generator gen(87);
  const Tensor q = uniform({4, 4, 64, 32}, -1.0, 1.0, gen).set_requires_grad(true);
  const Tensor k = uniform({4, 4, 64, 32}, -1.0, 1.0, gen).set_requires_grad(true);
  const Tensor v = uniform({4, 4, 64, 32}, -1.0, 1.0, gen).set_requires_grad(true);
  const Tensor g = randn({4, 4, 64, 32}, gen);
  check_thread_independent([&] {
    const Tensor y = scaled_dot_product_attention(q, k, v, {}, {.is_causal = true});
    std::vector<Tensor> out = grad({y}, {q, k, v}, {g});
    out.push_back(y);
    return out;
  });
}

TEST_CASE("attention errors name the op and the shapes") {
  const Tensor q = zeros({2, 3, 4}), k = zeros({2, 5, 4}), v = zeros({2, 5, 6});
  CHECK(error_of<ShapeError>([&] {
          scaled_dot_product_attention(q, zeros({2, 5, 3}), v);
        }) ==
        "scaled_dot_product_attention: query [2, 3, 4] [..., L, E], key [2, 5, 3] [..., S, E] and value [2, 5, 6] "
        "[..., S, Ev] do not match");
  CHECK(error_of<ShapeError>([&] {
          scaled_dot_product_attention(q, k, v, zeros({3, 4}));
        }) == "scaled_dot_product_attention: attn_mask [3, 4] does not broadcast to the scores' shape [2, 3, 5]");
  CHECK(error_of<DTypeError>([&] {
          scaled_dot_product_attention(q, k, v, zeros({3, 5}, {.dtype = DType::Bool}));
        }).find("attn_mask must be an additive mask of dtype float32, got bool") != std::string::npos);
  CHECK(error_of<ShapeError>([&] { scaled_dot_product_attention(zeros({4}), k, v); }).find("at least 2") !=
        std::string::npos);
}
