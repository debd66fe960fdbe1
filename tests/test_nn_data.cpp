// IDX reading (plain and gzipped), MNIST-format data sets, bad files, the DataLoader.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "tapegrad.hpp"
#include "test_nn_util.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

// A tiny MNIST-format directory: n images of 2x3 with pixel (i, k) = 10 i + k, labels i % 3.
void write_mnist(const nn_test::TempDir& dir, std::int64_t n, bool gzip, std::int64_t label_count = -1) {
  IdxArray images{{n, 2, 3}, {}};
  for (std::int64_t i = 0; i < n; ++i)
    for (int k = 0; k < 6; ++k) images.data.push_back(static_cast<std::uint8_t>(10 * i + k));
  const std::int64_t nl = label_count < 0 ? n : label_count;
  IdxArray labels{{nl}, {}};
  for (std::int64_t i = 0; i < nl; ++i) labels.data.push_back(static_cast<std::uint8_t>(i % 3));
  const std::string ext = gzip ? ".gz" : "";
  write_idx(dir.file("train-images-idx3-ubyte" + ext), images, gzip);
  write_idx(dir.file("train-labels-idx1-ubyte" + ext), labels, gzip);
}

}  // namespace

TEST_CASE("nn idx: header bytes and round trip, plain and gzipped") {
  nn_test::TempDir dir;
  const IdxArray a{{2, 3}, {1, 2, 3, 250, 251, 252}};
  write_idx(dir.file("a.idx"), a, false);
  const std::string raw = nn_test::read_bytes(dir.file("a.idx"));
  CHECK(raw == std::string("\x00\x00\x08\x02\x00\x00\x00\x02\x00\x00\x00\x03\x01\x02\x03\xfa\xfb\xfc", 18));
  write_idx(dir.file("a.idx.gz"), a, true);
  const std::string gz = nn_test::read_bytes(dir.file("a.idx.gz"));
  CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);  // gzip magic
  CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
  for (const char* name : {"a.idx", "a.idx.gz"}) {
    const IdxArray b = read_idx(dir.file(name));
    CHECK(b.shape == a.shape);
    CHECK(b.data == a.data);
  }
}

TEST_CASE("nn idx: bad files name the file and the problem") {
  nn_test::TempDir dir;
  const std::string good("\x00\x00\x08\x02\x00\x00\x00\x02\x00\x00\x00\x03\x01\x02\x03\x04\x05\x06", 18);
  auto check_bad = [&](const std::string& bytes, const std::string& expect) {
    const std::string path = dir.file("bad.idx");
    nn_test::write_bytes(path, bytes);
    const std::string msg = nn_test::error_of<IOError>([&] { read_idx(path); });
    CHECK_MESSAGE(msg.find(expect) != std::string::npos, msg);
    CHECK_MESSAGE(msg.find(path) != std::string::npos, msg);
  };
  check_bad(std::string("\x01\x00\x08\x02", 4) + good.substr(4), "bad magic");
  check_bad(std::string("\x00\x00\x0d\x02", 4) + good.substr(4), "unsupported data type 0x0d");
  check_bad(std::string("\x00\x00\x08\x00", 4), "number of dimensions 0");
  check_bad(good.substr(0, 2), "too short");
  check_bad(good.substr(0, 10), "truncated header");
  check_bad(good.substr(0, 16), "truncated data: shape [2, 3] needs 6 bytes, found 4");
  check_bad(good + "x", "unexpected bytes after");
  check_bad(good.substr(0, 4) + std::string("\x00\x00\x00\x00", 4) + good.substr(8), "bad size 0");
  // A gzip stream cut short.
  write_idx(dir.file("g.gz"), IdxArray{{1000}, std::vector<std::uint8_t>(1000, 7)}, true);
  const std::string gz = nn_test::read_bytes(dir.file("g.gz"));
  nn_test::write_bytes(dir.file("cut.gz"), gz.substr(0, gz.size() / 2));
  const std::string msg = nn_test::error_of<IOError>([&] { read_idx(dir.file("cut.gz")); });
  CHECK_MESSAGE(msg.find("cut.gz") != std::string::npos, msg);
  CHECK(nn_test::error_of<IOError>([&] { read_idx(dir.file("nope.idx")); }).find("cannot open") != std::string::npos);
}

TEST_CASE("nn mnist: loads images scaled to (0, 1) and int64 labels") {
  nn_test::TempDir dir;
  write_mnist(dir, 4, true);
  const TensorDataset ds = load_mnist(dir.str(), {.num_classes = 3});
  CHECK(ds.data().shape() == Shape{4, 1, 2, 3});
  CHECK(ds.data().dtype() == f32);
  CHECK(ds.data().value({2, 0, 1, 2}) == doctest::Approx(25.0 / 255.0));
  CHECK(ds.targets().dtype() == i64);
  CHECK(ds.targets().to_vector() == std::vector<double>{0, 1, 2, 0});
  CHECK(load_mnist(dir.str(), {.num_classes = 3, .limit = 2}).size() == 2);
}

TEST_CASE("nn mnist: inconsistent or missing files are explained") {
  nn_test::TempDir dir;
  write_mnist(dir, 4, false);
  CHECK(nn_test::error_of<IOError>([&] {
          load_mnist(dir.str(), {.num_classes = 2});
        }).find("label 2 of sample 2 is out of range [0, 2)") != std::string::npos);
  nn_test::TempDir dir2;
  write_mnist(dir2, 4, false, 3);
  CHECK(nn_test::error_of<IOError>([&] { load_mnist(dir2.str()); }).find("holds 4 images but") != std::string::npos);
  const std::string missing = nn_test::error_of<IOError>([&] { load_mnist(dir.file("no-such-dir")); });
  CHECK(missing.find("apt-get install dataset-fashion-mnist") != std::string::npos);
  CHECK(missing.find("no-such-dir") != std::string::npos);
  CHECK(nn_test::error_of<IOError>([&] { load_mnist(dir.str(), {.train = false}); }).find("t10k-images-idx3-ubyte") !=
        std::string::npos);
}

TEST_CASE("nn mnist: the data directory follows TAPEGRAD_DATA_DIR") {
  ::setenv("TAPEGRAD_DATA_DIR", "/some/where", 1);
  CHECK(default_fashion_mnist_dir() == "/some/where");
  ::unsetenv("TAPEGRAD_DATA_DIR");
  CHECK(default_fashion_mnist_dir() == kFashionMnistPackageDir);
}

TEST_CASE("nn data: batches, drop_last, seeded shuffling, transform, prefetch") {
  const std::int64_t n = 10;
  std::vector<double> xs;
  for (std::int64_t i = 0; i < n; ++i) xs.insert(xs.end(), {double(i), double(i) + 0.5});
  std::vector<std::int64_t> ys(n);
  for (std::int64_t i = 0; i < n; ++i) ys[static_cast<std::size_t>(i)] = 100 + i;
  const TensorDataset ds(from_vector(xs, {n, 2}), from_vector(ys, {n}));

  DataLoader plain(ds, {.batch_size = 4, .prefetch = false});
  CHECK(plain.num_batches() == 3);
  std::vector<Shape> shapes;
  std::vector<double> targets;
  for (const Batch& b : plain) {
    shapes.push_back(b.data.shape());
    for (double t : b.target.to_vector()) targets.push_back(t);
  }
  CHECK(shapes == std::vector<Shape>{{4, 2}, {4, 2}, {2, 2}});
  CHECK(targets == std::vector<double>{100, 101, 102, 103, 104, 105, 106, 107, 108, 109});
  CHECK(DataLoader(ds, {.batch_size = 4, .drop_last = true}).num_batches() == 2);

  auto epoch_targets = [&](DataLoader& loader) {
    std::vector<double> out;
    for (const Batch& b : loader) {
      const auto x = b.data.to_vector();
      const auto t = b.target.to_vector();
      for (std::size_t i = 0; i < t.size(); ++i) {
        CHECK(t[i] - 100 == x[2 * i]);  // rows stay paired
        out.push_back(t[i]);
      }
    }
    return out;
  };
  DataLoader s1(ds, {.batch_size = 3, .shuffle = true, .seed = 9, .prefetch = true});
  DataLoader s2(ds, {.batch_size = 3, .shuffle = true, .seed = 9, .prefetch = false});
  const auto e0 = epoch_targets(s1), e1 = epoch_targets(s1);
  CHECK(e0 == epoch_targets(s2));  // same seed: same order, with or without prefetch
  CHECK(e1 == epoch_targets(s2));
  CHECK(e0 != e1);  // a new order each epoch
  CHECK(std::set<double>(e0.begin(), e0.end()).size() == 10);
  CHECK(e0 != targets);
  s2.set_epoch(0);
  CHECK(epoch_targets(s2) == e0);  // resumable by epoch
  DataLoader s3(ds, {.batch_size = 3, .shuffle = true, .seed = 10});
  CHECK(epoch_targets(s3) != e0);

  DataLoader norm(ds, {.batch_size = 10, .transform = Normalize{.mean = {1.0}, .std = {2.0}}});
  for (const Batch& b : norm) CHECK(b.data.value({3, 1}) == doctest::Approx((3.5 - 1.0) / 2.0));
  CHECK_THROWS_AS(DataLoader(ds, {.batch_size = 0}), ValueError);
  CHECK_THROWS_AS(TensorDataset(zeros({3, 2}), zeros({4})), ShapeError);
}
