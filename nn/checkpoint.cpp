#include "nn/checkpoint.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "autograd/grad_mode.hpp"

namespace tg::nn {

void save_module(const Module& module, const std::string& path, const Metadata& metadata) {
  save_safetensors(path, module.named_state(), metadata);
}

void load_state(Module& module, const std::vector<NamedTensor>& state, const std::string& source) {
  const auto targets = module.named_state();
  std::vector<std::string> problems;
  std::vector<std::pair<Tensor, Tensor>> copies;
  for (const auto& [name, dst] : targets) {
    const auto it = std::find_if(state.begin(), state.end(), [&](const NamedTensor& e) { return e.first == name; });
    if (it == state.end()) {
      problems.push_back(fmt::format("missing '{}' ({} {})", name, dst.dtype(), dst.shape()));
      continue;
    }
    const Tensor& src = it->second;
    if (src.shape() != dst.shape() || src.dtype() != dst.dtype()) {
      problems.push_back(fmt::format("'{}': model has {} {}, file has {} {}", name, dst.dtype(), dst.shape(),
                                     src.dtype(), src.shape()));
      continue;
    }
    copies.emplace_back(dst, src);
  }
  for (const auto& [name, src] : state)
    if (std::none_of(targets.begin(), targets.end(), [&](const NamedTensor& e) { return e.first == name; }))
      problems.push_back(fmt::format("unexpected '{}' ({} {})", name, src.dtype(), src.shape()));
  TG_CHECK(problems.empty(), ValueError, "load {}: {} mismatch(es) with the {}:\n  {}", source, problems.size(),
           module.type_name(), fmt::join(problems, "\n  "));
  NoGradGuard no_grad;  // parameters are written in place, like an optimizer step
  for (auto& [dst, src] : copies) dst.copy_(src);
}

Metadata load_module(Module& module, const std::string& path) {
  SafetensorsContents contents = load_safetensors(path);
  load_state(module, contents.tensors, path);
  return contents.metadata;
}

void save_optimizer(const Optimizer& optimizer, const std::string& path, const Metadata& metadata) {
  Metadata meta = metadata;
  meta.emplace_back("tapegrad.optimizer", optimizer.name());
  save_safetensors(path, optimizer.state_dict(), meta);
}

Metadata load_optimizer(Optimizer& optimizer, const std::string& path) {
  SafetensorsContents contents = load_safetensors(path);
  for (const auto& [k, v] : contents.metadata)
    TG_CHECK(k != "tapegrad.optimizer" || v == optimizer.name(), ValueError,
             "load {}: the file holds {} state, not {}", path, v, optimizer.name());
  optimizer.load_state_dict(contents.tensors);
  return contents.metadata;
}

}  // namespace tg::nn
