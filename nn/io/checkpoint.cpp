#include "nn/io/checkpoint.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <map>

#include "autograd/grad_mode.hpp"
#include "tensor/random.hpp"

namespace tg::nn {

namespace {

// The (destination, source) pairs of loading `state` into the module; every mismatch is
// collected and thrown together before anything is copied.
std::vector<std::pair<Tensor, Tensor>> matching_copies(const Module& module, const std::vector<NamedTensor>& state,
                                                       const std::string& source) {
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
  return copies;
}

constexpr const char* kOptimizerKey = "tapegrad.optimizer";

}  // namespace

void save_module(const Module& module, const std::string& path, const Metadata& metadata) {
  save_safetensors(path, module.named_state(), metadata);
}

void load_state(Module& module, const std::vector<NamedTensor>& state, const std::string& source) {
  NoGradGuard no_grad;  // parameters are written in place, like an optimizer step
  for (auto& [dst, src] : matching_copies(module, state, source)) dst.copy_(src);
}

Metadata load_module(Module& module, const std::string& path) {
  SafetensorsContents contents = load_safetensors(path);
  load_state(module, contents.tensors, path);
  return contents.metadata;
}

void save_optimizer(const Optimizer& optimizer, const std::string& path, const Metadata& metadata) {
  Metadata meta = metadata;
  meta.emplace_back(kOptimizerKey, optimizer.name());
  save_safetensors(path, optimizer.state_dict(), meta);
}

Metadata load_optimizer(Optimizer& optimizer, const std::string& path) {
  SafetensorsContents contents = load_safetensors(path);
  for (const auto& [k, v] : contents.metadata)
    TG_CHECK(k != kOptimizerKey || v == optimizer.name(), ValueError, "load {}: the file holds {} state, not {}", path,
             v, optimizer.name());
  optimizer.load_state_dict(contents.tensors);
  return contents.metadata;
}

// ---- Training state ----

namespace {

constexpr const char* kFormatKey = "tapegrad.training_state";
constexpr const char* kFormatVersion = "1";
constexpr const char* kEpochKey = "tapegrad.epoch";
constexpr const char* kStepKey = "tapegrad.step";
constexpr const char* kDefaultRngKey = "tapegrad.rng";
constexpr std::string_view kModuleRngPrefix = "tapegrad.rng.";
constexpr std::string_view kReservedPrefix = "tapegrad.";
constexpr std::string_view kModelPrefix = "model.";
constexpr std::string_view kOptimizerPrefix = "optimizer.";

// "state:increment:spare flag:spare bits", hexadecimal.
std::string encode_generator(const Generator::State& s) {
  return fmt::format("{:016x}:{:016x}:{:d}:{:016x}", s.state, s.increment, s.has_spare_normal,
                     std::bit_cast<std::uint64_t>(s.spare_normal));
}

Generator::State decode_generator(const std::string& text, const std::string& where) {
  std::uint64_t fields[4] = {};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  bool ok = true;
  for (int i = 0; i < 4 && ok; ++i) {
    const auto [next, ec] = std::from_chars(p, end, fields[i], 16);
    const bool last = i == 3;
    ok = ec == std::errc() && next != p && (last ? next == end : next != end && *next == ':');
    p = next + 1;
  }
  TG_CHECK(ok && fields[1] % 2 == 1 && fields[2] <= 1, ValueError, "{}: '{}' is not a generator state", where, text);
  return {fields[0], fields[1], fields[2] == 1, std::bit_cast<double>(fields[3])};
}

std::int64_t decode_count(const std::string& text, const std::string& where) {
  std::int64_t value = -1;
  const auto [next, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  TG_CHECK(ec == std::errc() && next == text.data() + text.size() && value >= 0, ValueError, "{}: '{}' is not a count",
           where, text);
  return value;
}

std::vector<NamedTensor> prefixed(std::string_view prefix, const std::vector<NamedTensor>& tensors) {
  std::vector<NamedTensor> out;
  for (const auto& [name, t] : tensors) out.emplace_back(std::string(prefix) + name, t);
  return out;
}

}  // namespace

void save_training_state(const std::string& path, const Module& model, const Optimizer& optimizer,
                         const TrainingProgress& progress, const Metadata& metadata) {
  for (const auto& [key, value] : metadata)
    TG_CHECK(!key.starts_with(kReservedPrefix), ValueError,
             "save_training_state {}: metadata key '{}' is reserved (keys starting with '{}')", path, key,
             kReservedPrefix);
  TG_CHECK(progress.epoch >= 0 && progress.step >= 0, ValueError,
           "save_training_state {}: epoch {} and step {} must be >= 0", path, progress.epoch, progress.step);
  std::vector<NamedTensor> tensors = prefixed(kModelPrefix, model.named_state());
  for (auto& entry : prefixed(kOptimizerPrefix, optimizer.state_dict())) tensors.push_back(std::move(entry));
  Metadata meta = metadata;
  meta.emplace_back(kFormatKey, kFormatVersion);
  meta.emplace_back(kOptimizerKey, optimizer.name());
  meta.emplace_back(kEpochKey, std::to_string(progress.epoch));
  meta.emplace_back(kStepKey, std::to_string(progress.step));
  meta.emplace_back(kDefaultRngKey, encode_generator(default_generator().get_state()));
  for (const auto& [name, gen] : model.named_generators())
    meta.emplace_back(std::string(kModuleRngPrefix) + name, encode_generator(gen->get_state()));
  save_safetensors(path, tensors, meta);
}

LoadedTrainingState load_training_state(const std::string& path, Module& model, Optimizer& optimizer) {
  const std::string where = "load_training_state " + path;
  SafetensorsContents contents = load_safetensors(path);
  std::map<std::string, std::string> ours;
  LoadedTrainingState loaded;
  for (auto& [key, value] : contents.metadata) {
    if (key.starts_with(kReservedPrefix))
      ours[key] = value;
    else if (key != "tapegrad.crc32")
      loaded.metadata.emplace_back(key, value);
  }
  TG_CHECK(ours.contains(kFormatKey), ValueError,
           "{}: not a training state (no '{}' entry): a file of save_module or save_optimizer, or a checkpoint "
           "from before training states, whose model and optimizer cannot be shown to belong together",
           where, kFormatKey);
  TG_CHECK(ours[kFormatKey] == kFormatVersion, ValueError,
           "{}: training state format '{}' is not supported (only '{}')", where, ours[kFormatKey], kFormatVersion);
  for (const char* key : {kOptimizerKey, kEpochKey, kStepKey, kDefaultRngKey})
    TG_CHECK(ours.contains(key), ValueError, "{}: incomplete training state: no '{}' entry", where, key);
  TG_CHECK(ours[kOptimizerKey] == optimizer.name(), ValueError, "{}: the file holds {} state, not {}", where,
           ours[kOptimizerKey], optimizer.name());
  loaded.progress = {decode_count(ours[kEpochKey], where + " epoch"), decode_count(ours[kStepKey], where + " step")};
  const Generator::State default_rng = decode_generator(ours[kDefaultRngKey], where);

  // The model's generators and the file's must be the same set.
  std::vector<std::pair<Generator*, Generator::State>> generators;
  std::vector<std::string> problems;
  const auto model_generators = model.named_generators();
  for (const auto& [name, gen] : model_generators) {
    const auto it = ours.find(std::string(kModuleRngPrefix) + name);
    if (it == ours.end())
      problems.push_back(fmt::format("missing generator '{}'", name));
    else
      generators.emplace_back(gen, decode_generator(it->second, where));
  }
  for (const auto& [key, value] : ours) {
    if (!key.starts_with(kModuleRngPrefix)) continue;
    const std::string name = key.substr(kModuleRngPrefix.size());
    if (std::none_of(model_generators.begin(), model_generators.end(), [&](const auto& g) { return g.first == name; }))
      problems.push_back(fmt::format("unexpected generator '{}'", name));
  }
  std::vector<NamedTensor> model_state, optimizer_state;
  for (auto& [name, t] : contents.tensors) {
    if (name.starts_with(kModelPrefix))
      model_state.emplace_back(name.substr(kModelPrefix.size()), t);
    else if (name.starts_with(kOptimizerPrefix))
      optimizer_state.emplace_back(name.substr(kOptimizerPrefix.size()), t);
    else
      problems.push_back(fmt::format("unexpected tensor '{}'", name));
  }
  TG_CHECK(problems.empty(), ValueError, "{}: {} mismatch(es) with the {}:\n  {}", where, problems.size(),
           model.type_name(), fmt::join(problems, "\n  "));

  // Everything that can fail is checked before the first change: the model's tensors here,
  // the optimizer's inside load_state_dict (which changes nothing unless all of it fits).
  const auto copies = matching_copies(model, model_state, path);
  optimizer.load_state_dict(optimizer_state);
  {
    NoGradGuard no_grad;  // parameters are written in place, like an optimizer step
    for (auto [dst, src] : copies) dst.copy_(src);
  }
  for (const auto& [gen, state] : generators) gen->set_state(state);
  default_generator().set_state(default_rng);
  return loaded;
}

}  // namespace tg::nn
