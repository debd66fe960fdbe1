// Module: the base of every layer and model. A module owns named, ordered parameters
// (leaf tensors that require grad), buffers (state saved in checkpoints but not trained,
// e.g. BatchNorm's running statistics) and submodules. Names of nested entries are dotted
// paths ("features.0.weight"), as in PyTorch, so checkpoints are interchangeable by name.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.hpp"

namespace tg {
class Generator;
}

namespace tg::nn {

using NamedTensor = std::pair<std::string, Tensor>;

class Module {
 public:
  explicit Module(std::string type_name = "Module") : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The computation; layers with one input and one output override this.
  virtual Tensor forward(const Tensor& x);
  // Runs forward. In anomaly mode (autograd/anomaly.hpp) the ops it records are labelled
  // with the name this module was first registered under, nested in its parent's label
  // ("features.3"): call children through operator() so that reports name them.
  Tensor operator()(const Tensor& x);

  // Registration. Names must be non-empty, without '.', and unique within the module.
  // A parameter is made a leaf that requires grad (unless requires_grad is false).
  Tensor register_parameter(const std::string& name, Tensor value, bool requires_grad = true);
  Tensor register_buffer(const std::string& name, Tensor value);
  // A random generator the module owns (a member: it must live as long as the module), so a
  // training checkpoint can save and restore its stream, e.g. Dropout's masks.
  void register_generator(const std::string& name, Generator& generator);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<NamedTensor> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  std::vector<NamedTensor> named_buffers(bool recurse = true) const;
  // Parameters then buffers, each module's own entries before its children's: the
  // checkpoint contents.
  std::vector<NamedTensor> named_state(bool recurse = true) const;
  // The registered generators of this module and (recurse) its descendants, dotted names.
  std::vector<std::pair<std::string, Generator*>> named_generators(bool recurse = true) const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& named_children() const { return children_; }
  std::int64_t num_parameters() const;  // total elements of all parameters

  // Mode: train() / eval() set it for the whole tree (Dropout and BatchNorm read it).
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  void zero_grad();  // drops the gradients of all parameters

  const std::string& type_name() const { return type_name_; }
  // One line describing this module's own configuration, e.g. "Linear(in_features=4, ...)".
  virtual std::string describe() const;
  // The tree: one line per module with its parameter count, children indented.
  std::string to_string() const;

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void check_new_name(const std::string& name) const;
  void collect(std::vector<NamedTensor>& out, const std::string& prefix, bool params, bool buffers, bool recurse) const;
  void print_tree(std::ostream& os, const std::string& name, int depth) const;

  std::string type_name_;
  std::string name_;  // under which it was first registered as a submodule; "" for a root
  bool training_ = true;
  std::vector<NamedTensor> parameters_;
  std::vector<NamedTensor> buffers_;
  std::vector<std::pair<std::string, Generator*>> generators_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

std::ostream& operator<<(std::ostream& os, const Module& module);

}  // namespace tg::nn
