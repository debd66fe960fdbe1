// nn: modules, layers, losses, initialisation, optimizers, schedulers, data sets and
// loaders, checkpoints (safetensors).
#pragma once

#include "nn/checkpoint.hpp"
#include "nn/conv.hpp"
#include "nn/data.hpp"
#include "nn/functional.hpp"
#include "nn/idx.hpp"
#include "nn/init.hpp"
#include "nn/json.hpp"
#include "nn/layers.hpp"
#include "nn/linear.hpp"
#include "nn/loss.hpp"
#include "nn/mnist.hpp"
#include "nn/module.hpp"
#include "nn/optimizer.hpp"
#include "nn/safetensors.hpp"
#include "nn/scheduler.hpp"
#include "nn/sequential.hpp"
