// Classification results class by class: the confusion matrix (rows: true class, columns:
// predicted class), accuracy per class (recall: the diagonal over each row's total), a text
// table and an SVG heat map. Fed batch by batch during evaluation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/tensor.hpp"

namespace tg::nn {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(std::int64_t num_classes);

  // predicted and target: integer class indices of the same shape, each in [0, num_classes)
  // (IndexError naming the value otherwise; nothing is counted from a batch that fails).
  void update(const Tensor& predicted, const Tensor& target);

  std::int64_t num_classes() const { return classes_; }
  std::int64_t count(std::int64_t true_class, std::int64_t predicted_class) const;
  std::int64_t total() const;
  Tensor counts() const;    // int64 [num_classes, num_classes]
  double accuracy() const;  // NaN before any sample
  // Per class: correct / samples of that class; NaN for a class with no samples.
  std::vector<double> per_class_accuracy() const;

  // The matrix and each class's accuracy, aligned in columns. Names: one per class, or empty
  // (the class indices are printed).
  std::string to_string(const std::vector<std::string>& class_names = {}) const;
  // A heat map, each cell shaded by its share of the row (its true class) and labelled with
  // its count, as a standalone SVG document.
  std::string to_svg(const std::vector<std::string>& class_names = {}) const;

 private:
  std::vector<std::string> names(const std::vector<std::string>& class_names) const;
  std::int64_t classes_;
  std::vector<std::int64_t> counts_;  // row-major [true][predicted]
};

}  // namespace tg::nn
