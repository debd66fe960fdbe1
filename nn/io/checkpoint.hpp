// Checkpoints: a module's parameters and buffers (named_state(), dotted names) and an
// optimizer's state, each as a safetensors file; and a whole training state (model,
// optimizer, progress, random streams) as one file, so its parts never come from two steps.
// Every file is written atomically (see tensor/atomic_file.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "nn/io/safetensors.hpp"
#include "nn/modules/module.hpp"
#include "nn/optim/optimizer.hpp"

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

// ---- Training state ----
// One safetensors file: the model's named_state() as "model.<name>", the optimizer's
// state_dict() as "optimizer.<name>"; in the metadata a format marker, the optimizer's kind,
// the progress, the states of default_generator() and of the model's generators, and the
// caller's entries (whose keys must not start with "tapegrad.").
struct TrainingProgress {
  std::int64_t epoch = 0;  // epochs completed (a scheduler resumes with set_epoch(epoch))
  std::int64_t step = 0;   // optimizer steps taken
};

void save_training_state(const std::string& path, const Module& model, const Optimizer& optimizer,
                         const TrainingProgress& progress, const Metadata& metadata = {});

struct LoadedTrainingState {
  TrainingProgress progress;
  Metadata metadata;  // the caller's entries, as saved
};
// Checks the whole file against the model and the optimizer (format, names, shapes, dtypes,
// optimizer kind, generators) before changing anything, then restores all of it: model,
// optimizer, default_generator() and the model's generators. A file that is not a training
// state (e.g. written by save_module) or does not fit throws ValueError; file problems IOError.
LoadedTrainingState load_training_state(const std::string& path, Module& model, Optimizer& optimizer);

}  // namespace tg::nn
