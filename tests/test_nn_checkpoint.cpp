// safetensors and module / optimizer checkpoints: round trips and corruption.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tapegrad.hpp"
#include "test_nn_util.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

struct Small : Module {
  std::shared_ptr<Conv2d> conv;
  std::shared_ptr<BatchNorm2d> bn;
  std::shared_ptr<Linear> fc;
  explicit Small(std::int64_t out = 3) : Module("Small") {
    conv = register_module("conv", std::make_shared<Conv2d>(1, 2, 3));
    bn = register_module("bn", std::make_shared<BatchNorm2d>(2));
    fc = register_module("fc", std::make_shared<Linear>(4, out, LinearOptions{.dtype = f64}));
  }
};

std::vector<std::vector<double>> snapshot(const Module& m) {
  std::vector<std::vector<double>> out;
  for (const auto& [n, t] : m.named_state()) out.push_back(t.to_vector());
  return out;
}

}  // namespace

TEST_CASE("nn safetensors: the JSON header is read strictly, its strings unescaped") {
  auto file = [](std::string header) {
    header.append((8 - header.size() % 8) % 8, ' ');
    std::string bytes(8, '\0');
    const std::uint64_t n = header.size();
    std::memcpy(bytes.data(), &n, 8);
    return bytes + header;
  };
  const auto ok = decode_safetensors(file(R"( {"__metadata__": {"s": "x\"\\\n\u00e9\ud83d\ude00", "t": ""}} )"), "ok");
  CHECK(ok.metadata == Metadata{{"s", "x\"\\\n\xc3\xa9\xf0\x9f\x98\x80"}, {"t", ""}});
  for (const char* bad : {"", "{", "[1,]", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "01", "1.", "-", "\"abc", "tru",
                          "{\"a\":1,\"a\":2}", "{} x", "\"\\x\"", "\"\\ud800\"", "{1:2}", "nan", "{\"\xff\":1}"}) {
    const std::string msg = nn_test::error_of<IOError>([&] { decode_safetensors(file(bad), "bad.safetensors"); });
    CHECK_MESSAGE(msg.find("bad.safetensors: bad JSON header") != std::string::npos, msg);
  }
  // Valid JSON of the wrong shape.
  CHECK_THROWS_WITH_AS(decode_safetensors(file("[1]"), "f"), doctest::Contains("not an object"), IOError);
  CHECK_THROWS_WITH_AS(decode_safetensors(file(R"({"__metadata__":{"k":1}})"), "f"),
                       doctest::Contains("metadata value of 'k' is not a string"), IOError);
  CHECK_THROWS_WITH_AS(
      decode_safetensors(file(R"({"w":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,0]}})"), "f"),
      doctest::Contains("bad shape"), IOError);
  // Names and metadata are written as JSON strings, so they must be UTF-8.
  CHECK_THROWS_WITH_AS(encode_safetensors({{"w\xff", zeros({1})}}), doctest::Contains("not valid UTF-8"), ValueError);
  CHECK_THROWS_WITH_AS(encode_safetensors({}, {{"k", "\xc3"}}), doctest::Contains("not valid UTF-8"), ValueError);
}

TEST_CASE("nn safetensors: layout matches the format byte for byte") {
  const Tensor a = tensor({1.0, 2.0}, {.dtype = f32});
  const Tensor b = from_vector(std::vector<std::int64_t>{-3}, {1, 1});
  const std::string bytes = encode_safetensors({{"a", a}, {"b", b}}, {{"note", "hi"}});
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  CHECK(n % 8 == 0);
  CHECK(bytes.size() == 8 + n + 8 + 8);
  // The header as the format lays it out: tensors in order, then the metadata; keys in the
  // order dtype, shape, data_offsets; no spaces but the padding.
  const std::string header = bytes.substr(8, n);
  const std::string expected_start =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I64","shape":[1,1],"data_offsets":[8,16]},)"
      R"("__metadata__":{"note":"hi","tapegrad.crc32":")";
  CHECK(header.substr(0, expected_start.size()) == expected_start);
  const std::string tail = header.substr(expected_start.size());
  CHECK(tail.find_first_not_of("0123456789abcdef") == 8);  // 8 hex digits of CRC-32
  CHECK(tail.substr(8, 3) == "\"}}");
  CHECK(tail.find_first_not_of(' ', 11) == std::string::npos);
  // And as an independent JSON reader sees it.
  const auto parsed = nlohmann::json::parse(header);
  CHECK(parsed["a"]["data_offsets"] == nlohmann::json::array({0, 8}));
  CHECK(parsed["__metadata__"]["note"] == "hi");
  float f[2];
  std::memcpy(f, bytes.data() + 8 + n, 8);
  CHECK(f[0] == 1.0f);
  CHECK(f[1] == 2.0f);
  std::int64_t i = 0;
  std::memcpy(&i, bytes.data() + 8 + n + 8, 8);
  CHECK(i == -3);
}

TEST_CASE("nn safetensors: reads a file as the Python writer lays it out (no checksum)") {
  // {"w":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}} padded with spaces to 8 bytes.
  std::string header = R"({"w":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string bytes(8, '\0');
  const std::uint64_t n = header.size();
  std::memcpy(bytes.data(), &n, 8);
  const double w[2] = {0.25, -8.0};
  bytes += header;
  bytes.append(reinterpret_cast<const char*>(w), 16);
  const auto c = decode_safetensors(bytes, "python.safetensors");
  REQUIRE(c.tensors.size() == 1);
  CHECK(c.tensors[0].first == "w");
  CHECK(c.tensors[0].second.dtype() == f64);
  CHECK(c.tensors[0].second.to_vector() == std::vector<double>{0.25, -8.0});
}

TEST_CASE("nn checkpoint: module round trip restores parameters and buffers exactly") {
  nn_test::TempDir dir;
  manual_seed(11);
  Small a;
  a.bn->running_mean.set_value({1}, 0.75);
  a.bn->num_batches_tracked.set_value(std::initializer_list<std::int64_t>{}, 42);
  save_module(a, dir.file("m.safetensors"), {{"epoch", "3"}});
  CHECK_FALSE(std::filesystem::exists(dir.file("m.safetensors.tmp")));
  manual_seed(12);
  Small b;
  CHECK(snapshot(a) != snapshot(b));
  const Tensor weight_handle = b.fc->weight;
  const auto meta = load_module(b, dir.file("m.safetensors"));
  CHECK(snapshot(a) == snapshot(b));
  CHECK(weight_handle.is_same(b.fc->weight));  // loaded in place
  CHECK(b.bn->num_batches_tracked.item() == 42.0);
  REQUIRE(meta.size() == 1);
  CHECK(meta[0] == std::pair<std::string, std::string>{"epoch", "3"});
}

TEST_CASE("nn checkpoint: every mismatch is reported and the model is left untouched") {
  nn_test::TempDir dir;
  Small a;
  std::vector<NamedTensor> state = a.named_state();
  state.erase(state.begin());  // drop conv.weight
  for (auto& [n, t] : state) {
    if (n == "fc.weight") t = zeros({5, 4}, {.dtype = f64});
    if (n == "fc.bias") t = zeros({3}, {.dtype = f32});
  }
  state.emplace_back("extra.thing", zeros({1}));
  save_safetensors(dir.file("bad.safetensors"), state);
  Small b;
  const auto before = snapshot(b);
  const std::string msg = nn_test::error_of<ValueError>([&] { load_module(b, dir.file("bad.safetensors")); });
  CHECK(msg.find("4 mismatch") != std::string::npos);
  CHECK(msg.find("missing 'conv.weight'") != std::string::npos);
  CHECK(msg.find("'fc.weight': model has float64 [3, 4], file has float64 [5, 4]") != std::string::npos);
  CHECK(msg.find("'fc.bias': model has float64 [3], file has float32 [3]") != std::string::npos);
  CHECK(msg.find("unexpected 'extra.thing'") != std::string::npos);
  CHECK(snapshot(b) == before);
}

TEST_CASE("nn checkpoint: corrupted and truncated files are rejected, model untouched") {
  nn_test::TempDir dir;
  Small a;
  const std::string path = dir.file("m.safetensors");
  save_module(a, path);
  const std::string good = nn_test::read_bytes(path);
  std::uint64_t n = 0;
  std::memcpy(&n, good.data(), 8);
  Small b;
  const auto before = snapshot(b);
  auto rejects = [&](const std::string& bytes, const std::string& expect) {
    nn_test::write_bytes(path, bytes);
    const std::string msg = nn_test::error_of<IOError>([&] { load_module(b, path); });
    CHECK_MESSAGE(msg.find(expect) != std::string::npos, msg);
    CHECK_MESSAGE(msg.find(path) != std::string::npos, msg);
    CHECK(snapshot(b) == before);
  };
  std::string flipped = good;
  flipped[8 + n + 5] = static_cast<char>(flipped[8 + n + 5] ^ 0x40);  // a data byte
  rejects(flipped, "checksum mismatch");
  rejects(good.substr(0, good.size() - 3), "truncated");
  rejects(good.substr(0, 8 + n / 2), "exceeds the file size");
  rejects(good.substr(0, 5), "too short");
  rejects(good + "xyz", "padded");
  std::string bad_json = good;
  bad_json[8] = '[';
  rejects(bad_json, "bad JSON");
  std::string huge = good;
  const std::uint64_t big = 1ull << 40;
  std::memcpy(huge.data(), &big, 8);
  rejects(huge, "header length");
  std::string bad_dtype = good;
  bad_dtype.replace(bad_dtype.find("\"F32\""), 5, "\"F16\"");
  rejects(bad_dtype, "unsupported dtype");
  std::string bad_shape = good;
  bad_shape.replace(bad_shape.find("[2,1,3,3]"), 9, "[2,1,3,4]");
  rejects(bad_shape, "needs 96 bytes but data_offsets span 72");
  CHECK_THROWS_AS(load_module(b, dir.file("missing.safetensors")), IOError);
}

TEST_CASE("nn checkpoint: optimizer state round trip through a file") {
  nn_test::TempDir dir;
  Tensor p = tensor({1.0, -1.0}, {.dtype = f64, .requires_grad = true});
  SGD a({p}, {.lr = 0.1, .momentum = 0.9});
  p.set_grad(tensor({1.0, 2.0}, {.dtype = f64}));
  a.step();
  save_optimizer(a, dir.file("opt.safetensors"));
  SGD b({p}, {.lr = 0.5, .momentum = 0.9});
  load_optimizer(b, dir.file("opt.safetensors"));
  CHECK(b.lr() == 0.1);
  const auto sa = a.state_dict(), sb = b.state_dict();
  REQUIRE(sa.size() == sb.size());
  CHECK(sb[1].first == "state.0.momentum_buffer");
  CHECK(sa[1].second.to_vector() == sb[1].second.to_vector());
  Adam wrong({p});
  CHECK_THROWS_AS(load_optimizer(wrong, dir.file("opt.safetensors")), ValueError);
}

#ifdef TAPEGRAD_PYTHON3
TEST_CASE("nn checkpoint: an independent Python reader of the safetensors format loads the file") {
  // tests/tools/read_safetensors.py follows the format's specification and the reference
  // implementation's validation rules; it prints "name dtype shape sum" per tensor.
  nn_test::TempDir dir;
  manual_seed(5);
  Small model;
  model.bn->num_batches_tracked.set_value(std::initializer_list<std::int64_t>{}, 7);
  save_module(model, dir.file("m.safetensors"), {{"epoch", "3"}});
  const std::string command = fmt::format("'{}' '{}' '{}' > '{}'", TAPEGRAD_PYTHON3, TAPEGRAD_SAFETENSORS_READER,
                                          dir.file("m.safetensors"), dir.file("listing.txt"));
  REQUIRE(std::system(command.c_str()) == 0);
  std::ifstream listing(dir.file("listing.txt"));
  std::string line;
  std::size_t index = 0;
  const auto state = model.named_state();
  bool saw_metadata = false;
  while (std::getline(listing, line)) {
    std::istringstream fields(line);
    std::string name, dtype, shape;
    fields >> name >> dtype >> shape;
    if (name == "meta") {
      saw_metadata = saw_metadata || (dtype == "epoch" && shape == "3");
      continue;
    }
    double python_sum = 0.0;
    fields >> python_sum;
    REQUIRE(index < state.size());
    const auto& [want_name, tensor] = state[index++];
    INFO(line);
    CHECK(name == want_name);
    CHECK(dtype == (tensor.dtype() == f32 ? "F32" : tensor.dtype() == f64 ? "F64" : "I64"));
    std::string want_shape;
    for (std::int64_t d : tensor.shape()) {
      if (!want_shape.empty()) want_shape += 'x';
      want_shape += std::to_string(d);
    }
    CHECK(shape == (want_shape.empty() ? "scalar" : want_shape));
    double sum = 0.0;
    for (double v : tensor.to_vector()) sum += v;
    CHECK(std::abs(python_sum - sum) <= 1e-12 * (1.0 + std::abs(sum)));
  }
  CHECK(index == state.size());
  CHECK(saw_metadata);
}
#endif
