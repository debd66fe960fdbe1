// Sequential: submodules applied in order; named "0", "1", ... unless a name is given.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>

#include "nn/modules/module.hpp"

namespace tg::nn {

class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);

  Sequential& push_back(std::shared_ptr<Module> module);
  Sequential& push_back(const std::string& name, std::shared_ptr<Module> module);
  std::size_t size() const { return named_children().size(); }
  Module& operator[](std::size_t i) const;

  Tensor forward(const Tensor& x) override;
};

}  // namespace tg::nn
