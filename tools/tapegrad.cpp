// `tapegrad`: the command-line entry point.
//   tapegrad ops [NAME] [--json]   verify every registered op (or one) and print the report
//   tapegrad inspect FILE          the tensors of a safetensors or .npy file
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <exception>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nn/io/safetensors.hpp"
#include "ops/registry.hpp"
#include "ops/verify.hpp"
#include "tensor/npy.hpp"

namespace {

constexpr const char* kOpsHelp =
    "Checks every registered op (or only NAME) on its sample inputs: gradcheck and gradgradcheck\n"
    "against central finite differences in float64, agreement with the op's reference composition,\n"
    "and zero-size inputs (accepted, or rejected with a typed error). Exits 1 if any check fails.";

void print_table(const tg::RegistryReport& report) {
  std::size_t name_width = std::string_view("op").size();
  for (const tg::OpReport& op : report.ops) name_width = std::max(name_width, op.name.size());
  fmt::print("{:<{}} {:>7}  {:<7} {:<9} {:<13} {:<9} {:<9} {:>9}  {}\n", "op", name_width, "samples", "forward",
             "gradcheck", "gradgradcheck", "reference", "zero-size", "max error", "result");
  for (const tg::OpReport& op : report.ops) {
    fmt::print("{:<{}} {:>7}  {:<7} {:<9} {:<13} {:<9} {:<9} {:>9.2e}  {}\n", op.name, name_width, op.num_samples,
               tg::to_string(op.forward.status), tg::to_string(op.gradcheck.status),
               tg::to_string(op.gradgradcheck.status), tg::to_string(op.reference.status),
               tg::to_string(op.zero_size.status), op.max_error, op.passed() ? "PASS" : "FAIL");
  }
  const std::size_t failed = report.num_failed();
  if (failed > 0) {
    fmt::print("\nfailures:\n");
    for (const tg::OpReport& op : report.ops) {
      for (const std::string& f : op.failures) fmt::print("  {}\n", f);
    }
  }
  fmt::print("\n{} ops, {} passed, {} failed\n", report.ops.size(), report.ops.size() - failed, failed);
}

nlohmann::ordered_json to_json(const tg::CheckResult& check) {
  return {{"status", tg::to_string(check.status)}, {"max_error", check.max_error}};
}

// The same report as the table, for programs; keys in the order of the columns.
nlohmann::ordered_json to_json(const tg::RegistryReport& report) {
  nlohmann::ordered_json ops = nlohmann::ordered_json::array();
  for (const tg::OpReport& op : report.ops) {
    const tg::Op* def = tg::registry().find(op.name);
    ops.push_back({{"name", op.name},
                   {"summary", def != nullptr ? def->summary : ""},
                   {"samples", op.num_samples},
                   {"zero_size_samples", op.num_zero_size_samples},
                   {"forward", to_json(op.forward)},
                   {"gradcheck", to_json(op.gradcheck)},
                   {"gradgradcheck", to_json(op.gradgradcheck)},
                   {"reference", to_json(op.reference)},
                   {"zero_size", to_json(op.zero_size)},
                   {"max_error", op.max_error},
                   {"passed", op.passed()},
                   {"failures", op.failures}});
  }
  const std::size_t failed = report.num_failed();
  return {{"ops", ops}, {"passed", report.ops.size() - failed}, {"failed", failed}};
}

int run_ops(const std::string& name, bool json) {
  tg::RegistryReport report;
  if (!name.empty()) {
    const tg::Op* op = tg::registry().find(name);
    if (op == nullptr) {
      fmt::print(stderr, "tapegrad ops: no op named '{}' (run `tapegrad ops` to list them)\n", name);
      return 2;
    }
    report.ops.push_back(tg::verify_op(*op));
  } else {
    report = tg::verify_registry();
  }
  if (json)
    fmt::print("{}\n", to_json(report).dump(2));
  else
    print_table(report);
  return report.passed() ? 0 : 1;
}

// "min max mean" of a tensor's values, "-" for an empty one; a NaN anywhere shows as nan.
std::vector<std::string> value_summary(const tg::Tensor& t) {
  const std::vector<double> v = t.to_vector();
  if (v.empty()) return {"-", "-", "-"};
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
  for (const double x : v) {
    lo = std::isnan(x) || std::isnan(lo) ? std::nan("") : std::min(lo, x);
    hi = std::isnan(x) || std::isnan(hi) ? std::nan("") : std::max(hi, x);
    sum += x;
  }
  const auto g = [](double x) { return fmt::format("{:.6g}", x); };
  return {g(lo), g(hi), g(sum / static_cast<double>(v.size()))};
}

bool is_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char magic[6] = {};
  f.read(magic, sizeof magic);
  return f.gcount() == 6 && std::string_view(magic, 6) == "\x93NUMPY";
}

int run_inspect(const std::string& path) {
  std::vector<tg::nn::NamedTensor> tensors;
  tg::nn::Metadata metadata;
  const bool npy = is_npy(path);
  if (npy) {
    tensors.emplace_back("(array)", tg::load_npy(path));
  } else {
    tg::nn::SafetensorsContents contents = tg::nn::load_safetensors(path);
    tensors = std::move(contents.tensors);
    metadata = std::move(contents.metadata);
  }
  fmt::print("{}: {}, {} tensor{}\n", path, npy ? ".npy" : "safetensors", tensors.size(),
             tensors.size() == 1 ? "" : "s");
  for (const auto& [key, value] : metadata)
    fmt::print("  {} = {}\n", key, value.size() > 200 ? value.substr(0, 200) + "..." : value);
  std::vector<std::vector<std::string>> rows{{"name", "dtype", "shape", "min", "max", "mean"}};
  for (const auto& [name, t] : tensors) {
    std::vector<std::string> row{name, std::string(tg::dtype_name(t.dtype())), fmt::format("{}", t.shape())};
    for (std::string& s : value_summary(t)) row.push_back(std::move(s));
    rows.push_back(std::move(row));
  }
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c)  // text columns to the left, numbers to the right
      line += c < 3 ? fmt::format("{:<{}}  ", row[c], width[c]) : fmt::format("{:>{}}  ", row[c], width[c]);
    fmt::print("{}\n", line.substr(0, line.find_last_not_of(' ') + 1));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tapegrad: tensors, tape-based reverse-mode autodiff, an op registry and gradcheck."};
  app.require_subcommand(1);
  std::string op_name, path;
  bool json = false;
  CLI::App* ops = app.add_subcommand("ops", "verify every registered op (or one) on its samples");
  ops->footer(kOpsHelp);
  ops->add_option("NAME", op_name, "only this op");
  ops->add_flag("--json", json, "print the report as JSON");
  CLI::App* inspect = app.add_subcommand("inspect", "list the tensors of a safetensors or .npy file");
  inspect->add_option("FILE", path, "a .safetensors or .npy file")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    if (ops->parsed()) return run_ops(op_name, json);
    return run_inspect(path);
  } catch (const std::exception& e) {
    fmt::print(stderr, "tapegrad {}: {}\n", ops->parsed() ? "ops" : "inspect", e.what());
    return 1;
  }
}
