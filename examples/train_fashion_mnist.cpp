// Trains a CNN on Fashion-MNIST: live progress, test accuracy per epoch, checkpoints
// (safetensors) with --resume, a training-curve plot (SVG), and at the end the test set's
// accuracy per class and confusion matrix (text and an SVG heat map).
//
//   train_fashion_mnist              # defaults: two conv-BN-ReLU blocks (16, 32 filters), 7 epochs,
//                                    # random horizontal flips, label smoothing 0.1: 93% and more
//   train_fashion_mnist --net lenet --epochs 4 --flip 0 --label-smoothing 0   # LeNet-5: 89.57% (seed 1)
//   train_fashion_mnist --crop-padding 2 --erase 0.5   # also random crops and random erasing
//   train_fashion_mnist --epochs 10 --resume   # continue a finished run for more epochs
//   train_fashion_mnist --detect-anomaly       # stop at the first NaN / infinity, naming op and layer
//   mpirun -np 2 train_fashion_mnist --distributed --batch-size 32   # data-parallel over 2 processes:
//                                    # the global batch is 2 x 32; rank 0 prints, evaluates and checkpoints
//
// The learning rate follows a cosine schedule over --epochs, so resuming with a larger
// --epochs continues on the longer schedule.
//
// The data come from the Debian package dataset-fashion-mnist (or --data-dir /
// TAPEGRAD_DATA_DIR). Same seed and thread count give the same result, bit for bit.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "fashion_mnist_models.hpp"
#include "nn/distributed/process_group.hpp"
#include "nn_example_util.hpp"
#include "tapegrad.hpp"
#include "tensor/atomic_file.hpp"
#ifdef TAPEGRAD_HAS_DISTRIBUTED
#include "nn/distributed/data_parallel.hpp"
#include "nn/distributed/mpi_process_group.hpp"
#endif

using namespace tg;
using namespace tg::nn;

namespace {

struct EpochStats {
  double train_loss, train_acc, test_acc, seconds;
};

// The history travels in the checkpoint's metadata as JSON, so a resumed run can plot it.
nlohmann::json history_to_json(const std::vector<EpochStats>& h) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& e : h)
    a.push_back(
        {{"train_loss", e.train_loss}, {"train_acc", e.train_acc}, {"test_acc", e.test_acc}, {"seconds", e.seconds}});
  return a;
}

std::vector<EpochStats> history_from_json(const nlohmann::json& v) {
  std::vector<EpochStats> h;
  for (const auto& e : v)
    h.push_back({e.at("train_loss").get<double>(), e.at("train_acc").get<double>(), e.at("test_acc").get<double>(),
                 e.at("seconds").get<double>()});
  return h;
}

std::int64_t count_correct(const Tensor& logits, const Tensor& target) {
  const auto pred = argmax(logits, 1);
  const std::int64_t* p = pred.data<std::int64_t>();
  const Tensor t = raw::contiguous(target);
  const std::int64_t* q = t.data<std::int64_t>();
  std::int64_t c = 0;
  for (std::int64_t i = 0; i < pred.numel(); ++i) c += p[i] == q[i];
  return c;
}

ConfusionMatrix evaluate(Module& model, DataLoader& loader) {
  model.eval();
  NoGradGuard no_grad;
  ConfusionMatrix confusion(10);
  for (const Batch& b : loader) confusion.update(argmax(model(b.data), 1), b.target);
  model.train();
  return confusion;
}

// The augmentation the flags ask for, in torchvision's usual order; empty for none.
SampleTransform augmentation(std::int64_t crop_padding, double flip, double erase) {
  std::vector<SampleTransform> steps;
  if (crop_padding > 0) steps.emplace_back(RandomCrop{.height = 28, .width = 28, .padding = crop_padding});
  if (flip > 0) steps.emplace_back(RandomHorizontalFlip{.p = flip});
  if (erase > 0) steps.emplace_back(RandomErasing{.p = erase});
  if (steps.empty()) return {};
  return Compose(std::move(steps));
}

std::shared_ptr<Module> make_network(const std::string& net, std::int64_t conv1, std::int64_t conv2, double dropout) {
  if (net == "vgg") return std::make_shared<example::VggBn>(conv1, conv2, dropout);
  return std::make_shared<example::LeNet5>(conv1, conv2);
}

// Two panels: training loss, and train / test accuracy, per epoch.
void write_svg(const std::string& path, const std::vector<EpochStats>& h) {
  std::vector<double> loss, tr, te;
  for (const auto& e : h) {
    loss.push_back(e.train_loss);
    tr.push_back(e.train_acc);
    te.push_back(e.test_acc);
  }
  example::write_curves_svg(path,
                            {{"training loss", {{"train loss", loss, "#c0392b"}}},
                             {"accuracy", {{"train accuracy", tr, "#2471a3"}, {"test accuracy", te, "#27ae60"}}}});
}

// The data-parallel side of the run: one rank of `world` processes under mpirun, or a single
// process (rank 0 of 1) without --distributed.
struct Ranks {
  std::shared_ptr<distributed::ProcessGroup> group;  // null for a single process
  int rank = 0, world = 1;
  bool leader() const { return rank == 0; }
  // Sums of per-rank figures (loss sum, correct, seen), the same on every rank.
  std::vector<double> sum(std::vector<double> values) const {
    if (!group) return values;
    Tensor t = from_vector(values, {static_cast<std::int64_t>(values.size())}, {.dtype = DType::Float64});
    group->allreduce(t)->wait();
    return t.to_vector();
  }
};

Ranks join_ranks(bool distributed_run) {
  if (!distributed_run) return {};
#ifdef TAPEGRAD_HAS_DISTRIBUTED
  Ranks ranks{.group = distributed::init_mpi()};
  ranks.rank = ranks.group->rank();
  ranks.world = ranks.group->size();
  return ranks;
#else
  fail<ValueError>("--distributed: this build has no distributed component; configure with -DTAPEGRAD_DISTRIBUTED=ON");
#endif
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Trains a CNN on Fashion-MNIST, with data augmentation, checkpoints and a training-curve plot."};
  std::int64_t epochs = 7, batch_size = 64, conv1 = 16, conv2 = 32, limit = 0, crop_padding = 0;
  double lr = 0.002, flip = 0.5, erase = 0.0, label_smoothing = 0.1, dropout = 0.2;
  std::string net = "vgg";
  int threads = 0;
  std::uint64_t seed = 1;
  std::string data_dir = default_fashion_mnist_dir(), out_dir = "fashion-mnist-run";
  bool resume = false, detect_anomaly = false, distributed_run = false;
  app.add_option("--epochs", epochs, "epochs in all (a resumed run continues up to this many)")->capture_default_str();
  app.add_option("--batch-size", batch_size, "training images per step (per process with --distributed)")
      ->capture_default_str();
  app.add_option("--lr", lr, "Adam's learning rate at the start of the cosine schedule")->capture_default_str();
  app.add_option("--threads", threads, "threads for the kernels (0: the machine's cores)")->capture_default_str();
  app.add_option("--seed", seed, "seed of the weights and of the shuffling")->capture_default_str();
  app.add_option("--data-dir", data_dir, "folder of the Fashion-MNIST IDX files")->capture_default_str();
  app.add_option("--out-dir", out_dir, "folder for the checkpoint and the plot")->capture_default_str();
  app.add_option("--net", net, "vgg (two blocks of two conv-BN-ReLU and max-pooling, dropout) or lenet (LeNet-5)")
      ->check(CLI::IsMember({"lenet", "vgg"}))
      ->capture_default_str();
  app.add_option("--conv1", conv1, "filters of the first block (convolution, for lenet; default 6 there)")
      ->capture_default_str();
  app.add_option("--conv2", conv2, "filters of the second block (convolution, for lenet; default 16 there)")
      ->capture_default_str();
  app.add_option("--dropout", dropout, "vgg: dropout before the last layer (half of it after each block)")
      ->check(CLI::Range(0.0, 0.99))
      ->capture_default_str();
  app.add_option("--crop-padding", crop_padding,
                 "augment: random 28x28 crops of the image padded by this much (0: off)")
      ->check(CLI::Range(0, 14))
      ->capture_default_str();
  app.add_option("--flip", flip, "augment: probability of a horizontal flip")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--erase", erase, "augment: probability of random erasing")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--label-smoothing", label_smoothing,
                 "weight of the uniform distribution mixed into the one-hot targets")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--limit", limit, "use only the first N images of each set (0: all)")->capture_default_str();
  app.add_flag("--resume", resume, "continue from the checkpoint in --out-dir");
  app.add_flag("--distributed", distributed_run,
               "data-parallel training, one process per rank under mpirun: each takes a shard of every epoch, "
               "gradients are averaged over the processes; rank 0 alone prints, evaluates and saves");
  app.add_flag("--detect-anomaly", detect_anomaly,
               "check every op's output and every gradient for NaN / infinity and stop at the first one, naming the "
               "op and its layer (e.g. classifier.4); training runs slower meanwhile");
  CLI11_PARSE(app, argc, argv);
  if (net == "lenet" && app.count("--conv1") == 0) conv1 = 6;
  if (net == "lenet" && app.count("--conv2") == 0) conv2 = 16;
  set_detect_anomaly(detect_anomaly);
  Ranks ranks;
  try {
    ranks = join_ranks(distributed_run);
    // Processes share the machine's cores: by default each takes its part of them.
    if (threads == 0 && ranks.world > 1)
      threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / ranks.world);
    if (threads > 0) set_num_threads(threads);
    if (!ranks.leader()) {  // rank 0 alone reports
      [[maybe_unused]] std::FILE* quiet = std::freopen("/dev/null", "w", stdout);
    }
    std::filesystem::create_directories(out_dir);

    const TensorDataset train_set = load_mnist(data_dir, {.train = true, .limit = limit});
    const TensorDataset test_set = load_mnist(data_dir, {.train = false, .limit = limit});
    // Fashion-MNIST pixel statistics (of the training set, scaled to [0, 1]).
    const Normalize normalize{.mean = {0.2860}, .std = {0.3530}};
    const SampleTransform augment = augmentation(crop_padding, flip, erase);
    // Each rank a disjoint shard of the epoch's order: together, the batches of one process
    // with a batch world times as large (and the same augmentation of each image).
    std::shared_ptr<const Sampler> shard;
    if (ranks.world > 1)
      shard = std::make_shared<DistributedSampler>(
          train_set.size(), DistributedSamplerOptions{.num_replicas = ranks.world, .rank = ranks.rank, .seed = seed});
    DataLoader train_loader(train_set, {.batch_size = batch_size,
                                        .shuffle = true,
                                        .seed = seed,
                                        .sampler = shard,
                                        .sample_transform = augment,
                                        .transform = normalize});
    DataLoader test_loader(test_set, {.batch_size = 1000, .transform = normalize});

    manual_seed(seed);
    const std::shared_ptr<Module> network = make_network(net, conv1, conv2, dropout);
    Module& model = *network;
    // The training forward: through DistributedDataParallel (rank 0's weights everywhere,
    // gradients averaged during backward) when distributed.
    std::shared_ptr<Module> trainer = network;
#ifdef TAPEGRAD_HAS_DISTRIBUTED
    if (ranks.group) trainer = std::make_shared<distributed::DistributedDataParallel>(network, ranks.group);
#endif
    Adam optimizer(model.parameters(), {.lr = lr});
    CosineAnnealingLR schedule(optimizer, epochs);
    fmt::print("{}data: {} training / {} test images from {}; {} threads\n", model.to_string(), train_set.size(),
               test_set.size(), data_dir, get_num_threads());
    fmt::print("training: Adam, lr {} on a cosine schedule over {} epochs, batch {}, label smoothing {}\n", lr, epochs,
               ranks.world > 1 ? fmt::format("{} x {} processes", batch_size, ranks.world) : std::to_string(batch_size),
               label_smoothing);
    fmt::print("augmentation: {}\n",
               augment ? fmt::format("random crop (padding {}), horizontal flip p={}, random erasing p={}",
                                     crop_padding, flip, erase)
                       : "none");

    // Model, optimizer, progress and random streams in one file, so they always match.
    const std::string state_path = out_dir + "/training_state.safetensors";
    std::vector<EpochStats> history;
    std::optional<ConfusionMatrix> last_confusion;  // of the last epoch trained in this run
    std::int64_t steps_done = 0;
    if (resume) {
      TG_CHECK(std::filesystem::exists(state_path) || !std::filesystem::exists(out_dir + "/model.safetensors"),
               ValueError,
               "--resume: {} holds an old two-file checkpoint (model.safetensors, optimizer.safetensors) whose parts "
               "may come from different epochs; start a new run without --resume",
               out_dir);
      const LoadedTrainingState loaded = load_training_state(state_path, model, optimizer);
      int saved_world = 1;
      for (const auto& [k, v] : loaded.metadata) {
        if (k == "history") history = history_from_json(nlohmann::json::parse(v));
        if (k == "world_size") saved_world = std::stoi(v);
      }
      // Another world size would shard the data differently and change the global batch.
      TG_CHECK(saved_world == ranks.world, ValueError,
               "--resume: {} was written by a run of {} process(es), this run has {}; resume with the same number",
               state_path, saved_world, ranks.world);
      TG_CHECK(static_cast<std::int64_t>(history.size()) == loaded.progress.epoch, ValueError,
               "--resume: {} records {} epochs of history but {} epochs done", state_path, history.size(),
               loaded.progress.epoch);
      steps_done = loaded.progress.step;
      fmt::print("resumed from {} after epoch {} (step {})\n", state_path, history.size(), steps_done);
    }
    const std::int64_t start = static_cast<std::int64_t>(history.size());
    schedule.set_epoch(start);

    for (std::int64_t epoch = start; epoch < epochs; ++epoch) {
      train_loader.set_epoch(epoch);
      example::ProgressBar bar(fmt::format("epoch {}/{}", epoch + 1, epochs), train_loader.num_batches(), "img/s",
                               ranks.leader());
      const auto t0 = std::chrono::steady_clock::now();
      double loss_sum = 0;
      std::int64_t correct = 0, seen = 0, step = 0;
      for (const Batch& b : train_loader) {
        optimizer.zero_grad();
        const Tensor logits = (*trainer)(b.data);
        const Tensor loss = cross_entropy(logits, b.target, {.label_smoothing = label_smoothing});
        loss.backward();
        optimizer.step();
        ++steps_done;
        const std::int64_t n = b.target.numel();
        loss_sum += loss.item() * static_cast<double>(n);
        correct += count_correct(logits.detach(), b.target);
        seen += n;
        bar.update(++step,
                   fmt::format("loss {:.4f} acc {:.2f}%", loss_sum / static_cast<double>(seen),
                               100.0 * static_cast<double>(correct) / static_cast<double>(seen)),
                   seen);
      }
      schedule.step();
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      // Training figures over all ranks' shards; the test set on rank 0 alone.
      const std::vector<double> totals = ranks.sum({loss_sum, static_cast<double>(correct), static_cast<double>(seen)});
      if (!ranks.leader()) continue;
      last_confusion = evaluate(model, test_loader);
      const double test_acc = last_confusion->accuracy();
      history.push_back({totals[0] / totals[2], totals[1] / totals[2], test_acc, seconds});
      fmt::print("epoch {}/{}: train loss {:.4f}, train accuracy {:.2f}%, test accuracy {:.2f}% ({:.1f} s)\n",
                 epoch + 1, epochs, history.back().train_loss, 100 * history.back().train_acc, 100 * test_acc, seconds);
      std::fflush(stdout);  // keep the log in order with the progress bar on stderr
      const Metadata meta{{"history", history_to_json(history).dump()},
                          {"seed", std::to_string(seed)},
                          {"world_size", std::to_string(ranks.world)}};
      save_training_state(state_path, model, optimizer, {.epoch = epoch + 1, .step = steps_done}, meta);
      write_svg(out_dir + "/training_curve.svg", history);
    }
    if (!ranks.leader()) return 0;
    if (history.empty()) {
      fmt::print("nothing to do: no epochs requested\n");
      return 0;
    }
    // Which classes the model confuses (shirt, T-shirt, pullover and coat, mostly). A resumed
    // run with no epoch left has not evaluated yet.
    const ConfusionMatrix confusion = last_confusion ? *last_confusion : evaluate(model, test_loader);
    fmt::print("test set, per class:\n{}", confusion.to_string(fashion_mnist_class_names()));
    write_file_atomically(out_dir + "/confusion_matrix.svg", confusion.to_svg(fashion_mnist_class_names()),
                          "confusion matrix");
    fmt::print(
        "final test accuracy {:.2f}% (exact: {:.17g}); checkpoint {}, plots {}/training_curve.svg and "
        "confusion_matrix.svg\n",
        100 * history.back().test_acc, history.back().test_acc, state_path, out_dir);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}error: {}\n", ranks.world > 1 ? fmt::format("rank {}: ", ranks.rank) : "", e.what());
    // The other ranks would wait in their next collective until it timed out: end them now.
    if (ranks.world > 1) ranks.group->abort(1);
    return 1;
  }
  return 0;
}
