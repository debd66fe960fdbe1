// tapegrad: tensors, tape-based reverse-mode autodiff, an op registry and gradcheck.
// The one header users include.
#pragma once

#include "tensor/compare.hpp"
#include "tensor/dtype.hpp"
#include "tensor/error.hpp"
#include "tensor/factories.hpp"
#include "tensor/format.hpp"
#include "tensor/image.hpp"
#include "tensor/npy.hpp"
#include "tensor/parallel.hpp"
#include "tensor/random.hpp"
#include "tensor/shape.hpp"
#include "tensor/tensor.hpp"

#include "autograd/anomaly.hpp"
#include "autograd/engine.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/tape.hpp"

#include "ops/conv.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"
#include "ops/loss.hpp"
#include "ops/pool.hpp"
#include "ops/reduction.hpp"
#include "ops/registry.hpp"
#include "ops/shape_ops.hpp"
#include "ops/verify.hpp"

#include "nn/nn.hpp"
