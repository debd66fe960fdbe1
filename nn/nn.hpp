// nn: the parts of a network and of its training, one folder each:
//   modules/  Module (named parameters, submodules), Sequential, layers, init, functional
//   losses/   loss functions
//   optim/    optimizers and learning-rate schedulers
//   data/     data sets, loaders, augmentation transforms, IDX files, (Fashion-)MNIST
//   metrics/  evaluation: the confusion matrix and accuracy per class
//   io/       safetensors files and training checkpoints
//   text/     character corpora and vocabularies, drawing tokens from a language model
#pragma once

#include "nn/data/data.hpp"
#include "nn/data/idx.hpp"
#include "nn/data/mnist.hpp"
#include "nn/data/transforms.hpp"
#include "nn/io/checkpoint.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/losses/loss.hpp"
#include "nn/metrics/confusion_matrix.hpp"
#include "nn/modules/activation.hpp"
#include "nn/modules/attention.hpp"
#include "nn/modules/conv.hpp"
#include "nn/modules/embedding.hpp"
#include "nn/modules/functional.hpp"
#include "nn/modules/init.hpp"
#include "nn/modules/layers.hpp"
#include "nn/modules/linear.hpp"
#include "nn/modules/module.hpp"
#include "nn/modules/normalization.hpp"
#include "nn/modules/recurrent.hpp"
#include "nn/modules/sequential.hpp"
#include "nn/modules/transformer.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/rmsprop_adagrad.hpp"
#include "nn/optim/scheduler.hpp"
#include "nn/text/corpus.hpp"
#include "nn/text/sampling.hpp"
