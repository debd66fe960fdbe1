// .npy files: round trips, the exact bytes written, hand-made files of every supported
// version, and every kind of bad file.
#include <doctest/doctest.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "tapegrad.hpp"
#include "test_util.hpp"

using namespace tg;
using test_util::same_bits;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path dir;
  TempDir() {
    const auto tag = std::chrono::steady_clock::now().time_since_epoch().count();
    dir = fs::temp_directory_path() / fmt::format("tapegrad_npy_test_{:x}", tag);
    fs::create_directories(dir);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
};

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Little-endian bytes of each value, built with shifts (independent of the host order).
template <class T>
std::string le(std::initializer_list<T> values) {
  std::string out;
  for (T v : values) {
    using U = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
    const auto bits = std::bit_cast<U>(v);
    for (std::size_t i = 0; i < sizeof(T); ++i) out += static_cast<char>((bits >> (8 * i)) & 0xff);
  }
  return out;
}

// A .npy file: magic, version major.minor, header length (2 bytes for 1.x, else 4), header, data.
std::string npy(int major, const std::string& header, const std::string& data = "", int minor = 0) {
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += static_cast<char>(minor);
  const int length_bytes = major == 1 ? 2 : 4;
  for (int i = 0; i < length_bytes; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string header(const std::string& descr, const std::string& shape, const std::string& fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }\n";
}

}  // namespace

TEST_CASE("npy round trips keep dtype, shape and every bit") {
  TempDir tmp;
  const float f_nan = std::numeric_limits<float>::quiet_NaN();
  const float f_inf = std::numeric_limits<float>::infinity();
  const std::vector<float> f32_values{0.0f, -0.0f, 1.5f, -2.25f, f_nan, f_inf, -f_inf, 1e-45f, 3.4e38f};
  const std::vector<double> f64_values{0.0, -0.0, 0.1, -1e-310, 1e308, std::nan(""), -INFINITY, 2.5, 7.0};
  const std::vector<std::int64_t> i64_values{std::numeric_limits<std::int64_t>::min(), -1, 0, 1,
                                             std::numeric_limits<std::int64_t>::max(), 42};
  const std::vector<Tensor> cases{
      from_vector(f32_values, {3, 3}),
      from_vector(std::vector<double>(f64_values), {9}, {.dtype = f64}),
      from_vector(i64_values, {2, 3}),
      from_vector(std::vector<double>{1, 0, 0, 1, 1}, {5}, {.dtype = boolean}),
      scalar_tensor(2.5, {.dtype = f64}),
      zeros({0, 3}, {.dtype = i64}),
      from_vector(std::vector<double>(24, 3.0), {2, 3, 4}, {.dtype = f32}),
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const fs::path path = tmp.dir / fmt::format("case{}.npy", i);
    save_npy(path, cases[i]);
    const Tensor back = load_npy(path);
    CAPTURE(i);
    CHECK(same_bits(back, cases[i]));
    CHECK(back.is_contiguous());
  }
  CHECK(tmp.entries().size() == cases.size());  // no temporary files left behind
}

TEST_CASE("npy writes NumPy's exact layout") {
  TempDir tmp;
  const fs::path path = tmp.dir / "a.npy";
  save_npy(path, tensor({{1, 2, 3}, {4, 5, 6}}));
  const std::string bytes = read_bytes(path);
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  REQUIRE(bytes.size() == 128 + 24);  // 10 + 60 + 1 bytes of preamble rounded up to 64
  CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  CHECK(bytes.substr(8, 2) == std::string("\x76\x00", 2));  // 118 header bytes
  CHECK(bytes.substr(10, dict.size()) == dict);
  CHECK(bytes.substr(10 + dict.size(), 118 - dict.size() - 1) == std::string(118 - dict.size() - 1, ' '));
  CHECK(bytes[127] == '\n');
  CHECK(bytes.substr(128) == le<float>({1, 2, 3, 4, 5, 6}));

  save_npy(path, tensor({7.0}, {.dtype = i64}));  // replaces the file; 1-D shapes keep the comma
  CHECK(read_bytes(path).find("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }") == 10);
  save_npy(path, scalar_tensor(1, {.dtype = boolean}));
  CHECK(read_bytes(path).find("{'descr': '|b1', 'fortran_order': False, 'shape': (), }") == 10);
  CHECK(read_bytes(path).size() == 128 + 1);  // a 68-byte preamble padded to 128, one data byte
  CHECK(tmp.entries() == std::vector<std::string>{"a.npy"});
}

TEST_CASE("npy writes non-contiguous tensors in logical C order") {
  TempDir tmp;
  std::vector<double> values(24);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i);
  const Tensor base = from_vector(values, {4, 6}, {.dtype = f64});
  struct View {
    Shape shape;
    Strides strides;
    std::int64_t offset;
  };
  // Transposed, sliced with a step and an offset, and expanded (stride 0).
  for (const View& v : {View{{6, 4}, {1, 6}, 0}, View{{2, 3}, {12, 2}, 1}, View{{3, 4}, {0, 1}, 5}}) {
    const Tensor view = raw::as_strided(base, v.shape, v.strides, v.offset);
    save_npy(tmp.dir / "v.npy", view);
    const Tensor back = load_npy(tmp.dir / "v.npy");
    REQUIRE(back.shape() == v.shape);
    const auto got = back.to_vector();
    for (std::int64_t i = 0; i < v.shape[0]; ++i)
      for (std::int64_t j = 0; j < v.shape[1]; ++j)
        CHECK(got[static_cast<std::size_t>(i * v.shape[1] + j)] ==
              static_cast<double>(v.offset + i * v.strides[0] + j * v.strides[1]));
  }
}

TEST_CASE("npy switches to version 2.0 when the header needs more than 64 KiB") {
  TempDir tmp;
  const fs::path path = tmp.dir / "wide.npy";
  const Tensor t = full(Shape(22000, 1), 7.0);  // "(1, 1, ...)" takes 66,000 characters
  save_npy(path, t);
  const std::string bytes = read_bytes(path);
  CHECK(bytes[6] == 2);
  CHECK(bytes[7] == 0);
  const auto length = static_cast<std::size_t>(static_cast<unsigned char>(bytes[8])) |
                      static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8 |
                      static_cast<std::size_t>(static_cast<unsigned char>(bytes[10])) << 16;
  CHECK((12 + length) % 64 == 0);
  CHECK(bytes.size() == 12 + length + 4);
  const Tensor back = load_npy(path);
  CHECK(back.shape() == Shape(22000, 1));
  CHECK(back.value(std::vector<std::int64_t>(22000, 0)) == 7.0);
}

TEST_CASE("npy reads hand-made files of versions 1.0, 2.0 and 3.0") {
  TempDir tmp;
  const fs::path path = tmp.dir / "h.npy";
  // Other key order, double quotes, no trailing comma, no padding.
  write_bytes(path,
              npy(1, "{\"shape\": (3,), \"fortran_order\": False, \"descr\": \"<f8\"}", le<double>({1.5, -2, 4})));
  Tensor t = load_npy(path);
  CHECK(t.dtype() == f64);
  CHECK(t.to_vector() == std::vector<double>{1.5, -2, 4});

  write_bytes(path, npy(2, header("<i8", "(2, 1)"), le<std::int64_t>({-7, 9})));
  t = load_npy(path);
  CHECK(t.shape() == Shape{2, 1});
  CHECK(t.to_vector_as<std::int64_t>() == std::vector<std::int64_t>{-7, 9});

  write_bytes(path, npy(3, header("<f4", "(2,)"), le<float>({0.5f, 8.0f})));
  CHECK(load_npy(path).to_vector() == std::vector<double>{0.5, 8.0});

  write_bytes(path, npy(1, header("|b1", "(3,)"), std::string("\x01\x00\x01", 3)));
  t = load_npy(path);
  CHECK(t.dtype() == boolean);
  CHECK(t.to_vector() == std::vector<double>{1, 0, 1});

  write_bytes(path, npy(1, header("<f8", "()"), le<double>({3.25})));
  CHECK(load_npy(path).shape() == Shape{});
  CHECK(load_npy(path).item() == 3.25);

  write_bytes(path, npy(1, header("<f4", "(4611686018427387904, 0)")));  // huge but empty
  CHECK(load_npy(path).numel() == 0);
}

TEST_CASE("npy rejects bad files with IOError naming the file and the problem") {
  TempDir tmp;
  struct Bad {
    const char* name;
    std::string bytes;
    const char* problem;
  };
  const std::string big = "4611686018427387904";  // 2^62
  const std::vector<Bad> cases{
      {"empty", "", "truncated file"},
      {"magic", "\x93NUMPX\x01\x00" + std::string("\x10\x00", 2) + header("<f4", "()"), "bad magic"},
      {"version4", npy(4, header("<f4", "(1,)"), le<float>({1})), "unsupported format version 4.0"},
      {"version1_1", npy(1, header("<f4", "(1,)"), le<float>({1}), 1), "unsupported format version 1.1"},
      {"no_length", std::string("\x93NUMPY\x01\x00", 8), "cannot read the header length"},
      {"short_header", npy(1, header("<f4", "(1,)")).substr(0, 30), "truncated header"},
      {"not_dict", npy(1, "[1, 2]\n"), "malformed header"},
      {"missing_key", npy(1, "{'descr': '<f4', 'fortran_order': False}\n"), "must have the keys"},
      {"unknown_key", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'foo': 1}\n"), "key 'foo'"},
      {"repeated_key", npy(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}\n"),
       "key 'descr'"},
      {"negative_dim", npy(1, header("<f4", "(-1,)")), "expected a non-negative integer"},
      {"shape_not_tuple", npy(1, header("<f4", "(3)"), le<float>({1, 2, 3})), "not a tuple"},
      {"shape_letters", npy(1, header("<f4", "(a,)")), "malformed header"},
      {"dim_overflow", npy(1, header("<f4", "(99999999999999999999,)")), "too large"},
      {"fortran_not_bool", npy(1, header("<f4", "(1,)", "'no'")), "expected True or False"},
      {"unterminated", npy(1, "{'descr: <f4}\n"), "unterminated string"},
      {"trailing_text", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ()} x\n", le<float>({1})),
       "unexpected characters after"},
      {"fortran", npy(1, header("<f4", "(2, 2)", "True"), le<float>({1, 2, 3, 4})), "Fortran-order"},
      {"big_endian", npy(1, header(">f4", "(1,)"), le<float>({1})), "big-endian"},
      {"int32", npy(1, header("<i4", "(1,)"), "\x01\x00\x00\x00"), "unsupported dtype '<i4'"},
      {"float16", npy(1, header("<f2", "(1,)"), "\x00\x3c"), "unsupported dtype '<f2'"},
      {"uint8", npy(1, header("|u1", "(1,)"), "\x01"), "unsupported dtype '|u1'"},
      {"structured", npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}\n", le<float>({1})),
       "unsupported dtype descr"},
      {"bar_f4", npy(1, header("|f4", "(1,)"), le<float>({1})), "invalid dtype '|f4'"},
      {"truncated_data", npy(1, header("<f8", "(3,)"), le<double>({1, 2})), "truncated data"},
      {"trailing_data", npy(1, header("<f8", "(2,)"), le<double>({1, 2, 3})), "8 unexpected bytes after the data"},
      {"huge_shape", npy(1, header("<f4", "(" + big + ", " + big + ")"), le<float>({1})), "truncated data"},
      {"huge_empty_shape", npy(1, header("<f4", "(" + big + ", " + big + ", 0)")), "is too large"},
      {"bad_bool", npy(1, header("|b1", "(2,)"), std::string("\x01\x02", 2)), "invalid bool value 2 at element 1"},
  };
  for (const Bad& c : cases) {
    const fs::path path = tmp.dir / (std::string(c.name) + ".npy");
    write_bytes(path, c.bytes);
    CAPTURE(c.name);
    CHECK_THROWS_AS(load_npy(path), IOError);
    std::string message = "no error";
    try {
      (void)load_npy(path);
    } catch (const IOError& e) {
      message = e.what();
    }
    CHECK(message.find(c.problem) != std::string::npos);
    CHECK(message.find(path.string()) != std::string::npos);
  }
  CHECK_THROWS_WITH_AS(load_npy(tmp.dir / "missing.npy"),
                       doctest::Contains("missing.npy': cannot open: No such file or directory"), IOError);
}

TEST_CASE("a failed save leaves no file behind") {
  TempDir tmp;
  const Tensor t = ones({4});
  CHECK_THROWS_AS(save_npy(tmp.dir / "no_such_dir" / "x.npy", t), IOError);
  fs::create_directory(tmp.dir / "taken.npy");  // a directory where the file should go
  CHECK_THROWS_AS(save_npy(tmp.dir / "taken.npy", t), IOError);
  CHECK(tmp.entries() == std::vector<std::string>{"taken.npy"});
  CHECK(fs::is_empty(tmp.dir / "taken.npy"));
  CHECK_THROWS_AS(save_npy(tmp.dir / "", t), IOError);
}
