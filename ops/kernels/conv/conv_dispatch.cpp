// The choice among the convolution paths (conv_dispatch.hpp): the tests are the paths' own
// `suits` predicates, asked in a fixed order, so the choice depends on the shape and the SIMD
// path only.
#include "ops/kernels/conv/conv_dispatch.hpp"

#include "ops/kernels/conv/conv_direct.hpp"
#include "ops/kernels/conv/conv_weights.hpp"
#include "ops/kernels/conv/conv_winograd.hpp"

namespace tg::kernels {

namespace {

enum class ForwardPath { winograd, channels, direct, gemm };

// The path conv2d_fast takes for g.
template <class T>
ForwardPath forward_path(const ConvLoopGeometry& g) {
  if (conv2d_winograd_suits<T>(g)) return ForwardPath::winograd;
  if (conv2d_direct_channels_suit<T>(g)) return ForwardPath::channels;
  if (conv2d_direct_suits<T>(g)) return ForwardPath::direct;
  return ForwardPath::gemm;
}

}  // namespace

template <class T>
void conv2d_fast(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g) {
  if (conv2d_forward_trivial(b, y, g)) return;
  switch (forward_path<T>(g)) {
    case ForwardPath::winograd:
      conv2d_winograd(x, ConvWeights<T>{w, false}, b, y, g);
      return;
    case ForwardPath::channels:
      conv2d_direct_channels(x, w, b, y, g);
      return;
    case ForwardPath::direct:
      conv2d_direct(x, w, b, y, g);
      return;
    case ForwardPath::gemm:
      break;
  }
  conv2d_im2col_gemm(x, ConvWeights<T>{w, false}, b, y, g);
}

namespace {

// The ROT180 rule on one path: at stride 1 a single correlation whose weights are the
// forward kernel read rotated in place, else one stride phase at a time.
template <class T>
void input_grad_on(void (*path)(const T*, ConvWeights<T>, const T*, T*, const ConvLoopGeometry&),
                   ConvForwardFn<T> phase_forward, const T* dy, const T* w, T* dx, const ConvLoopGeometry& g) {
  if (g.stride_h > 1 || g.stride_w > 1) {
    conv2d_input_grad_polyphase<T>(phase_forward, dy, w, dx, g);
  } else {
    path(dy, ConvWeights<T>{w, true}, nullptr, dx, rot180_geometry(g));
  }
}

}  // namespace

template <class T>
void conv2d_input_grad_gemm(const T* dy, const T* w, T* dx, const ConvLoopGeometry& g) {
  if (conv2d_input_grad_trivial(dx, g)) return;
  input_grad_on<T>(&conv2d_im2col_gemm<T>, &conv2d_im2col_gemm<T>, dy, w, dx, g);
}

template <class T>
void conv2d_input_grad_channels(const T* dy, const T* w, T* dx, const ConvLoopGeometry& g) {
  if (conv2d_input_grad_trivial(dx, g)) return;
  input_grad_on<T>(&conv2d_direct_channels<T>, &conv2d_direct_channels<T>, dy, w, dx, g);
}

template <class T>
void conv2d_input_grad_winograd(const T* dy, const T* w, T* dx, const ConvLoopGeometry& g) {
  if (conv2d_input_grad_trivial(dx, g)) return;
  conv2d_winograd<T>(dy, ConvWeights<T>{w, true}, nullptr, dx, rot180_geometry(g));
}

template <class T>
void conv2d_input_grad_fast(const T* dy, const T* w, T* dx, const ConvLoopGeometry& g) {
  if (conv2d_input_grad_trivial(dx, g)) return;
  if (conv2d_input_grad_col2im_suits(g)) {
    conv2d_input_grad_col2im(dy, w, dx, g);
    return;
  }
  if (g.stride_h > 1 || g.stride_w > 1) {
    conv2d_input_grad_polyphase<T>(&conv2d_fast<T>, dy, w, dx, g);
    return;
  }
  switch (forward_path<T>(rot180_geometry(g))) {
    case ForwardPath::winograd:
      conv2d_input_grad_winograd(dy, w, dx, g);
      return;
    case ForwardPath::channels:
      conv2d_input_grad_channels(dy, w, dx, g);
      return;
    case ForwardPath::gemm:
      conv2d_input_grad_gemm(dy, w, dx, g);
      return;
    case ForwardPath::direct:
      break;
  }
  // The row layout reads its weights per tap as it goes: it takes the rotated copy.
  conv2d_input_grad_via<T>(&conv2d_fast<T>, dy, w, dx, g);
}

template <class T>
void conv2d_weight_grad_fast(const T* x, const T* dy, T* dw, const ConvLoopGeometry& g) {
  if (conv2d_weight_grad_trivial(dw, g)) return;
  if (conv2d_weight_grad_winograd_suits<T>(g)) {
    conv2d_weight_grad_winograd(x, dy, dw, g);
  } else if (conv2d_weight_grad_direct_channels_suit<T>(g)) {
    conv2d_weight_grad_direct_channels(x, dy, dw, g);
  } else if (conv2d_direct_suits<T>(g)) {
    conv2d_weight_grad_direct(x, dy, dw, g);
  } else {
    conv2d_weight_grad_gemm(x, dy, dw, g);
  }
}

template void conv2d_fast<float>(const float*, const float*, const float*, float*, const ConvLoopGeometry&);
template void conv2d_fast<double>(const double*, const double*, const double*, double*, const ConvLoopGeometry&);
template void conv2d_input_grad_fast<float>(const float*, const float*, float*, const ConvLoopGeometry&);
template void conv2d_input_grad_fast<double>(const double*, const double*, double*, const ConvLoopGeometry&);
template void conv2d_input_grad_gemm<float>(const float*, const float*, float*, const ConvLoopGeometry&);
template void conv2d_input_grad_gemm<double>(const double*, const double*, double*, const ConvLoopGeometry&);
template void conv2d_input_grad_channels<float>(const float*, const float*, float*, const ConvLoopGeometry&);
template void conv2d_input_grad_winograd<float>(const float*, const float*, float*, const ConvLoopGeometry&);
template void conv2d_input_grad_channels<double>(const double*, const double*, double*, const ConvLoopGeometry&);
template void conv2d_input_grad_winograd<double>(const double*, const double*, double*, const ConvLoopGeometry&);
template void conv2d_weight_grad_fast<float>(const float*, const float*, float*, const ConvLoopGeometry&);
template void conv2d_weight_grad_fast<double>(const double*, const double*, double*, const ConvLoopGeometry&);

}  // namespace tg::kernels
