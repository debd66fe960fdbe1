#include "nn/metrics/confusion_matrix.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "tensor/error.hpp"

namespace tg::nn {

ConfusionMatrix::ConfusionMatrix(std::int64_t num_classes) : classes_(num_classes) {
  TG_CHECK(num_classes > 0 && num_classes <= 100000, ValueError,
           "ConfusionMatrix: num_classes must be in [1, 100000], got {}", num_classes);
  counts_.assign(static_cast<std::size_t>(num_classes * num_classes), 0);
}

void ConfusionMatrix::update(const Tensor& predicted, const Tensor& target) {
  TG_CHECK(predicted.shape() == target.shape(), ShapeError, "ConfusionMatrix: predicted has shape {} but target {}",
           predicted.shape(), target.shape());
  TG_CHECK(!is_floating(predicted.dtype()) && !is_floating(target.dtype()), DTypeError,
           "ConfusionMatrix: class indices must be integers, got {} and {}", dtype_name(predicted.dtype()),
           dtype_name(target.dtype()));
  const Tensor p = raw::contiguous(predicted.detach()).clone_as(DType::Int64);
  const Tensor t = raw::contiguous(target.detach()).clone_as(DType::Int64);
  const std::int64_t* pp = p.data<std::int64_t>();
  const std::int64_t* tp = t.data<std::int64_t>();
  for (std::int64_t i = 0; i < p.numel(); ++i) {  // check all first: a bad batch counts nothing
    TG_CHECK(pp[i] >= 0 && pp[i] < classes_ && tp[i] >= 0 && tp[i] < classes_, IndexError,
             "ConfusionMatrix: sample {} has predicted class {} and true class {}, outside [0, {})", i, pp[i], tp[i],
             classes_);
  }
  for (std::int64_t i = 0; i < p.numel(); ++i) ++counts_[static_cast<std::size_t>(tp[i] * classes_ + pp[i])];
}

std::int64_t ConfusionMatrix::count(std::int64_t true_class, std::int64_t predicted_class) const {
  TG_CHECK(true_class >= 0 && true_class < classes_ && predicted_class >= 0 && predicted_class < classes_, IndexError,
           "ConfusionMatrix: no cell ({}, {}) in a {}-class matrix", true_class, predicted_class, classes_);
  return counts_[static_cast<std::size_t>(true_class * classes_ + predicted_class)];
}

std::int64_t ConfusionMatrix::total() const { return std::accumulate(counts_.begin(), counts_.end(), std::int64_t{0}); }

Tensor ConfusionMatrix::counts() const { return from_vector(counts_, {classes_, classes_}); }

double ConfusionMatrix::accuracy() const {
  std::int64_t correct = 0;
  for (std::int64_t c = 0; c < classes_; ++c) correct += count(c, c);
  const std::int64_t n = total();
  return n == 0 ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(correct) / static_cast<double>(n);
}

std::vector<double> ConfusionMatrix::per_class_accuracy() const {
  std::vector<double> out;
  for (std::int64_t c = 0; c < classes_; ++c) {
    const auto row = counts_.begin() + c * classes_;
    const std::int64_t n = std::accumulate(row, row + classes_, std::int64_t{0});
    out.push_back(n == 0 ? std::numeric_limits<double>::quiet_NaN()
                         : static_cast<double>(count(c, c)) / static_cast<double>(n));
  }
  return out;
}

std::vector<std::string> ConfusionMatrix::names(const std::vector<std::string>& class_names) const {
  TG_CHECK(class_names.empty() || static_cast<std::int64_t>(class_names.size()) == classes_, ValueError,
           "ConfusionMatrix: {} class names for {} classes", class_names.size(), classes_);
  if (!class_names.empty()) return class_names;
  std::vector<std::string> out;
  for (std::int64_t c = 0; c < classes_; ++c) out.push_back(std::to_string(c));
  return out;
}

std::string ConfusionMatrix::to_string(const std::vector<std::string>& class_names) const {
  const std::vector<std::string> label = names(class_names);
  std::size_t name_width = std::string("true \\ predicted").size();
  for (const auto& s : label) name_width = std::max(name_width, s.size());
  std::size_t cell = 5;
  for (std::int64_t v : counts_) cell = std::max(cell, std::to_string(v).size() + 1);
  std::string out = fmt::format("{:<{}}", "true \\ predicted", name_width);
  for (std::int64_t c = 0; c < classes_; ++c) out += fmt::format("{:>{}}", c, cell);
  out += "  accuracy\n";
  const std::vector<double> acc = per_class_accuracy();
  for (std::int64_t r = 0; r < classes_; ++r) {
    out += fmt::format("{:<{}}", fmt::format("{} {}", r, label[static_cast<std::size_t>(r)]), name_width);
    for (std::int64_t c = 0; c < classes_; ++c) out += fmt::format("{:>{}}", count(r, c), cell);
    out += fmt::format("  {:>7.2f}%\n", 100.0 * acc[static_cast<std::size_t>(r)]);
  }
  return out;
}

std::string ConfusionMatrix::to_svg(const std::vector<std::string>& class_names) const {
  const std::vector<std::string> label = names(class_names);
  const double cell = 44, left = 120, top = 110;
  const double size = cell * static_cast<double>(classes_);
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      left + size + 20, top + size + 40);
  svg += fmt::format(
      "<text x=\"10\" y=\"20\" font-size=\"13\">confusion matrix: {} samples, accuracy {:.2f}%</text>\n"
      "<text x=\"10\" y=\"38\">rows: true class; columns: predicted class</text>\n",
      total(), 100.0 * accuracy());
  for (std::int64_t c = 0; c < classes_; ++c) {
    const double at = static_cast<double>(c) * cell + cell / 2;
    const auto& name = label[static_cast<std::size_t>(c)];
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", left - 6, top + at + 4, name);
    svg += fmt::format("<text transform=\"translate({},{}) rotate(-45)\">{}</text>\n", left + at, top - 6, name);
  }
  for (std::int64_t r = 0; r < classes_; ++r) {
    const auto row = counts_.begin() + r * classes_;
    const std::int64_t n = std::accumulate(row, row + classes_, std::int64_t{0});
    for (std::int64_t c = 0; c < classes_; ++c) {
      const double share = n == 0 ? 0.0 : static_cast<double>(count(r, c)) / static_cast<double>(n);
      // White to dark blue; the count is written in white on the darker half.
      const auto shade = [&](double full) { return static_cast<int>(std::lround(255.0 - (255.0 - full) * share)); };
      const double x = left + static_cast<double>(c) * cell, y = top + static_cast<double>(r) * cell;
      svg += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"rgb({},{},{})\" stroke=\"#ddd\"/>\n"
          "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\">{}</text>\n",
          x, y, cell, cell, shade(8), shade(48), shade(107), x + cell / 2, y + cell / 2 + 4,
          share > 0.5 ? "white" : "black", count(r, c));
    }
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace tg::nn
