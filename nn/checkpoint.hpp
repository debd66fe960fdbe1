// Checkpoints: a module's parameters and buffers (named_state(), dotted names) and an
// optimizer's state, each as a safetensors file.
#pragma once

#include <string>

#include "nn/module.hpp"
#include "nn/optimizer.hpp"
#include "nn/safetensors.hpp"

namespace tg::nn {

void save_module(const Module& module, const std::string& path, const Metadata& metadata = {});
// Loads into the module's existing tensors (in place). Every name, shape and dtype is
// checked first; on any mismatch a ValueError lists all of them and the module is left
// untouched. File problems throw IOError. Returns the file's metadata.
Metadata load_module(Module& module, const std::string& path);

void save_optimizer(const Optimizer& optimizer, const std::string& path, const Metadata& metadata = {});
Metadata load_optimizer(Optimizer& optimizer, const std::string& path);

// Copies named tensors into the module (the checks of load_module, without a file).
void load_state(Module& module, const std::vector<NamedTensor>& state, const std::string& source);

}  // namespace tg::nn
