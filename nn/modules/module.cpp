#include "nn/modules/module.hpp"

#include <fmt/format.h>

#include <sstream>

#include "autograd/anomaly.hpp"
#include "tensor/error.hpp"

namespace tg::nn {

Tensor Module::forward(const Tensor&) { fail<Error>("{}: forward(x) is not implemented for this module", type_name_); }

Tensor Module::operator()(const Tensor& x) {
  if (name_.empty() || !is_anomaly_enabled()) return forward(x);
  AnomalyLabel label(name_);
  return forward(x);
}

void Module::check_new_name(const std::string& name) const {
  TG_CHECK(!name.empty() && name.find('.') == std::string::npos, ValueError,
           "{}: invalid name '{}' (must be non-empty and contain no '.')", type_name_, name);
  auto taken = [&](const auto& list) {
    for (const auto& [n, v] : list)
      if (n == name) return true;
    return false;
  };
  TG_CHECK(!taken(parameters_) && !taken(buffers_) && !taken(generators_) && !taken(children_), ValueError,
           "{}: name '{}' is already registered", type_name_, name);
}

Tensor Module::register_parameter(const std::string& name, Tensor value, bool requires_grad) {
  check_new_name(name);
  TG_CHECK(value.defined(), ValueError, "{}: parameter '{}' is undefined", type_name_, name);
  TG_CHECK(value.is_floating_point(), DTypeError, "{}: parameter '{}' must be floating point, got {}", type_name_, name,
           value.dtype());
  // A parameter is its own leaf: cut any history and own contiguous storage.
  Tensor leaf = raw::contiguous(value.detach());
  if (requires_grad) leaf.set_requires_grad(true);
  parameters_.emplace_back(name, leaf);
  return leaf;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  check_new_name(name);
  TG_CHECK(value.defined(), ValueError, "{}: buffer '{}' is undefined", type_name_, name);
  Tensor buffer = raw::contiguous(value.detach());
  buffers_.emplace_back(name, buffer);
  return buffer;
}

void Module::register_generator(const std::string& name, Generator& generator) {
  check_new_name(name);
  generators_.emplace_back(name, &generator);
}

std::vector<std::pair<std::string, Generator*>> Module::named_generators(bool recurse) const {
  std::vector<std::pair<std::string, Generator*>> out = generators_;
  if (!recurse) return out;
  for (const auto& [n, child] : children_)
    for (auto& [name, gen] : child->named_generators(true)) out.emplace_back(n + "." + name, gen);
  return out;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name);
  TG_CHECK(module != nullptr, ValueError, "{}: submodule '{}' is null", type_name_, name);
  if (module->name_.empty()) module->name_ = name;
  children_.emplace_back(name, std::move(module));
}

void Module::collect(std::vector<NamedTensor>& out, const std::string& prefix, bool params, bool buffers,
                     bool recurse) const {
  if (params)
    for (const auto& [n, t] : parameters_) out.emplace_back(prefix + n, t);
  if (buffers)
    for (const auto& [n, t] : buffers_) out.emplace_back(prefix + n, t);
  if (!recurse) return;
  for (const auto& [n, child] : children_) child->collect(out, prefix + n + ".", params, buffers, true);
}

std::vector<NamedTensor> Module::named_parameters(bool recurse) const {
  std::vector<NamedTensor> out;
  collect(out, "", true, false, recurse);
  return out;
}

std::vector<NamedTensor> Module::named_buffers(bool recurse) const {
  std::vector<NamedTensor> out;
  collect(out, "", false, true, recurse);
  return out;
}

std::vector<NamedTensor> Module::named_state(bool recurse) const {
  std::vector<NamedTensor> out;
  collect(out, "", true, true, recurse);
  return out;
}

static std::vector<Tensor> values(const std::vector<NamedTensor>& named) {
  std::vector<Tensor> out;
  out.reserve(named.size());
  for (const auto& [n, t] : named) out.push_back(t);
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const { return values(named_parameters(recurse)); }
std::vector<Tensor> Module::buffers(bool recurse) const { return values(named_buffers(recurse)); }

std::int64_t Module::num_parameters() const {
  std::int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, child] : children_) child->train(on);
}

void Module::zero_grad() {
  for (const auto& p : parameters()) p.zero_grad();
}

std::string Module::describe() const { return type_name_; }

void Module::print_tree(std::ostream& os, const std::string& name, int depth) const {
  const std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
  os << indent;
  if (!name.empty()) os << "(" << name << "): ";
  os << describe() << fmt::format("  [{} parameters]", num_parameters()) << "\n";
  for (const auto& [n, child] : children_) child->print_tree(os, n, depth + 1);
}

std::string Module::to_string() const {
  std::ostringstream os;
  print_tree(os, "", 0);
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Module& module) { return os << module.to_string(); }

}  // namespace tg::nn
