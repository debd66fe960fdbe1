// One SGD training step of LeNet-5 at batch 64 (28x28 inputs): conv 1->6 5x5 pad 2, relu,
// max-pool 2, conv 6->16 5x5, relu, max-pool 2, flatten, linear 400->120->84->10 with
// relus, cross-entropy, backward, SGD update (lr 0.01). tapegrad's tg::nn against
// libtorch's torch::nn and torch::optim::SGD, starting from the same parameters.
#include <cmath>
#include <memory>

#include "autograd/anomaly.hpp"
#include "autograd/grad_mode.hpp"
#include "bench/cases.hpp"
#include "bench/tg_models.hpp"
#include "bench/torch_util.hpp"
#include "nn/nn.hpp"
#include "tensor/random.hpp"

namespace tg::bench {
namespace {

constexpr std::int64_t kBatch = 64;
constexpr double kLr = 0.01;

// Flops of the forward maps of the conv and linear layers at batch n: conv1's, and the rest.
struct ForwardFlops {
  double conv1 = 0, rest = 0;
};
ForwardFlops forward_flops(double n) {
  const double conv2 = 2 * n * 16 * 10 * 10 * 6 * 25;
  const double fc = 2 * n * (400 * 120 + 120 * 84 + 84 * 10);
  return {2 * n * 6 * 28 * 28 * 1 * 25, conv2 + fc};
}

// Flops of the maps one step computes: each conv / linear layer's forward, weight
// gradient and input gradient, except conv1's input gradient (the input needs none).
double step_flops() {
  const ForwardFlops f = forward_flops(kBatch);
  return 2 * f.conv1 + 3 * f.rest;
}

struct TgLeNet {
  std::shared_ptr<tg::nn::Sequential> model;
  std::unique_ptr<tg::nn::SGD> optimizer;
  explicit TgLeNet(tg::Generator& gen) {
    using namespace tg::nn;
    model = tg_lenet5(gen);
    optimizer = std::make_unique<SGD>(model->parameters(), SGDOptions{.lr = kLr});
  }
  tg::Tensor step(const tg::Tensor& x, const tg::Tensor& target) const {
    optimizer->zero_grad();
    tg::Tensor loss = tg::nn::cross_entropy((*model)(x), target);
    loss.backward();
    optimizer->step();
    return loss;
  }
};

#ifdef TAPEGRAD_BENCH_TORCH
struct TorchLeNet {
  torch::nn::Sequential model;
  std::unique_ptr<torch::optim::SGD> optimizer;
  // Takes tapegrad's initial parameters (same order: conv1, conv2, fc1..fc3; weight, bias).
  explicit TorchLeNet(const std::vector<tg::Tensor>& init) {
    namespace tnn = torch::nn;
    model = tnn::Sequential(tnn::Conv2d(tnn::Conv2dOptions(1, 6, 5).padding(2)), tnn::ReLU(), tnn::MaxPool2d(2),
                            tnn::Conv2d(tnn::Conv2dOptions(6, 16, 5)), tnn::ReLU(), tnn::MaxPool2d(2), tnn::Flatten(),
                            tnn::Linear(400, 120), tnn::ReLU(), tnn::Linear(120, 84), tnn::ReLU(), tnn::Linear(84, 10));
    std::vector<torch::Tensor> params = model->parameters();
    TORCH_CHECK(params.size() == init.size(), "lenet: parameter count differs");
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(as_torch(init[i]));
    optimizer = std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(kLr));
  }
  torch::Tensor step(const torch::Tensor& x, const torch::Tensor& target) {
    optimizer->zero_grad();
    torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x), target);
    loss.backward();
    optimizer->step();
    return loss;
  }
};
#endif

struct LeNetData {
  std::int64_t batch;
  tg::Generator gen{3000};
  tg::Tensor x, target;
  TgLeNet tg_net{gen};
#ifdef TAPEGRAD_BENCH_TORCH
  torch::Tensor tx, ttarget;
  TorchLeNet torch_net{tg_net.model->parameters()};
#endif

  explicit LeNetData(std::int64_t batch_size = kBatch)
      : batch(batch_size), x(tg::randn({batch, 1, 28, 28}, gen)), target(tg::randint(0, 10, {batch}, gen)) {
#ifdef TAPEGRAD_BENCH_TORCH
    tx = as_torch(x);
    ttarget = torch::from_blob(target.data<std::int64_t>(), {batch}, torch::kLong);
#endif
  }

  tg::Tensor tg_infer() const {
    tg::NoGradGuard no_grad;
    return (*tg_net.model)(x);
  }
#ifdef TAPEGRAD_BENCH_TORCH
  torch::Tensor torch_infer() {
    torch::NoGradGuard no_grad;
    return torch_net.model->forward(tx);
  }
#endif

  // One step on each side from the same parameters: same loss, same updated parameters.
  std::string check() {
#ifdef TAPEGRAD_BENCH_TORCH
    const double loss = tg_net.step(x, target).item<double>();
    const double want = torch_net.step(tx, ttarget).item<double>();
    std::vector<std::string> v{verdict(std::abs(loss - want) / std::abs(want))};
    const std::vector<tg::Tensor> p = tg_net.model->parameters();
    const std::vector<torch::Tensor> q = torch_net.model->parameters();
    for (std::size_t i = 0; i < p.size(); ++i) v.push_back(compare(p[i], q[i].detach()));
    return combine(v);
#else
    return "";
#endif
  }
};

// One image through the network without recording: the latency of a deployed model.
CaseGroup infer_case() {
  const std::string name = "lenet-5 infer b1";
  return {{name}, [name] {
            auto d = std::make_shared<LeNetData>(1);
            Variant v;
            v.name = name;
            const ForwardFlops f = forward_flops(1);
            v.work = f.conv1 + f.rest;
            v.tapegrad = [d] { d->tg_infer(); };
            v.check = [d] {
#ifdef TAPEGRAD_BENCH_TORCH
              return compare(d->tg_infer(), d->torch_infer());
#else
              return std::string();
#endif
            };
#ifdef TAPEGRAD_BENCH_TORCH
            v.torch = [d] { d->torch_infer(); };
#endif
            return std::vector<Variant>{v};
          }};
}

}  // namespace

std::vector<CaseGroup> lenet_cases() {
  const std::string name = "lenet-5 sgd step b64";
  const std::string anomaly_name = name + ", anomaly mode";
  return {{{name, anomaly_name},
           [name, anomaly_name] {
             auto d = std::make_shared<LeNetData>();
             Variant v;
             v.name = name;
             v.work = step_flops();
             v.tapegrad = [d] { d->tg_net.step(d->x, d->target); };
             v.check = [d] { return d->check(); };
#ifdef TAPEGRAD_BENCH_TORCH
             v.torch = [d] { d->torch_net.step(d->tx, d->ttarget); };
#endif
             // The same step with every recorded output and every gradient checked for
             // NaN / infinity, and the ops labelled by module: what debugging costs.
             Variant anomaly;
             anomaly.name = anomaly_name;
             anomaly.work = step_flops();
             anomaly.tapegrad = [d] {
               tg::DetectAnomalyGuard on;
               d->tg_net.step(d->x, d->target);
             };
             return std::vector<Variant>{v, anomaly};
           }},
          infer_case()};
}

}  // namespace tg::bench
