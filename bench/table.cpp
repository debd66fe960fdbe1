#include "bench/table.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>

namespace tg::bench {
namespace {

std::string ms(double seconds) {
  const double v = seconds * 1e3;
  return fmt::format("{:.{}f}", v, v < 10 ? 3 : v < 100 ? 2 : 1);
}

const char* bound_name(Bound b) {
  switch (b) {
    case Bound::flops:
      return "peak";
    case Bound::memcpy:
      return "memcpy";
    case Bound::stream:
      return "stream";
  }
  return "";
}

std::vector<std::string> cells(const Row& r, bool torch, bool blas) {
  const bool flops = r.bound == Bound::flops;
  const double rate = r.work / r.tapegrad.wall * 1e-9;
  std::vector<std::string> c{r.name, std::to_string(r.threads), ms(r.tapegrad.wall)};
  if (torch) {
    c.push_back(r.torch ? ms(r.torch->wall) : "-");
    c.push_back(r.torch ? fmt::format("{:.2f}", r.torch->wall / r.tapegrad.wall) : "-");
    c.push_back(r.torch ? fmt::format("{:.1f}", r.work / r.torch->wall * 1e-9) : "-");
  }
  if (blas) {
    c.push_back(r.blas ? ms(r.blas->wall) : "-");
    c.push_back(r.blas ? fmt::format("{:.2f}", r.blas->wall / r.tapegrad.wall) : "-");
  }
  c.push_back(fmt::format("{:.1f} {}", rate, flops ? "GFLOP/s" : "GB/s"));
  c.push_back(fmt::format("{:.0f}% {}", 100 * rate / r.bound_rate, bound_name(r.bound)));
  c.push_back(flops ? fmt::format("{:.0f}%", 100 * (r.work / r.tapegrad.cpu * 1e-9) / r.cpu_peak) : "-");
  c.push_back(r.check.empty() ? "-" : r.check);
  return c;
}

}  // namespace

void print_table(const std::vector<Row>& rows, bool markdown) {
  const bool torch = std::any_of(rows.begin(), rows.end(), [](const Row& r) { return r.torch.has_value(); });
  const bool blas = std::any_of(rows.begin(), rows.end(), [](const Row& r) { return r.blas.has_value(); });
  std::vector<std::string> head{"case", "thr", "tapegrad ms"};
  if (torch) head.insert(head.end(), {"libtorch ms", "torch/tg", "torch rate"});
  if (blas) head.insert(head.end(), {"OpenBLAS ms", "blas/tg"});
  head.insert(head.end(), {"tapegrad rate", "of bound", "cpu-time", "check"});

  std::vector<const Row*> order;
  for (const Row& r : rows) order.push_back(&r);
  std::stable_sort(order.begin(), order.end(), [](const Row* a, const Row* b) { return a->threads < b->threads; });
  std::vector<std::vector<std::string>> table{head};
  for (const Row* r : order) table.push_back(cells(*r, torch, blas));

  if (markdown) {
    std::vector<std::string> rule(head.size(), "---:");
    rule[0] = "---";
    table.insert(table.begin() + 1, rule);
    for (const auto& row : table) std::puts(fmt::format("| {} |", fmt::join(row, " | ")).c_str());
    return;
  }
  std::vector<std::size_t> width(head.size(), 0);
  for (const auto& row : table)
    for (std::size_t j = 0; j < row.size(); ++j) width[j] = std::max(width[j], row[j].size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (i > 1 && order[i - 1]->threads != order[i - 2]->threads) std::puts("");
    std::string line;
    for (std::size_t j = 0; j < table[i].size(); ++j) {
      const std::string& c = table[i][j];
      const std::string pad(width[j] - c.size(), ' ');
      line += j == 0 ? c + pad : "  " + pad + c;
    }
    std::puts(line.c_str());
  }
}

}  // namespace tg::bench
