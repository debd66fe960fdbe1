// Character corpora: reading and splitting by file, the vocabulary, next-token windows,
// the reference entropies, and drawing tokens with temperature and top-k.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <vector>

#include "tapegrad.hpp"
#include "test_nn_util.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

void write_file(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

}  // namespace

TEST_CASE("text corpus: files split by name, separators become empty lines, indexes skipped") {
  nn_test::TempDir dir;
  write_file(dir.file("b"), "two\n%\nthree\n");
  write_file(dir.file("a"), "one\n");
  write_file(dir.file("c"), "held out\n%\n");
  write_file(dir.file("a.dat"), std::string("\x00\x01\x02", 3));
  write_file(dir.file("a.u8"), "not read\n");
  write_file(dir.file(".hidden"), "not read\n");
  const TextCorpus corpus = load_text_corpus(dir.str(), {"c"});
  CHECK(corpus.train == "one\ntwo\n\nthree\n");  // name order: a, b
  CHECK(corpus.validation == "held out\n\n");
  CHECK(corpus.train_files == std::vector<std::string>{"a", "b"});
  CHECK(corpus.validation_files == std::vector<std::string>{"c"});

  CHECK(nn_test::error_of<IOError>([&] { (void)load_text_corpus(dir.str(), {"missing"}); }) ==
        "text corpus: validation file 'missing' is not in '" + dir.str() + "'");
  CHECK(nn_test::error_of<IOError>([&] { (void)load_text_corpus(dir.str(), {}); }).find("0 of validation text") !=
        std::string::npos);
  CHECK(nn_test::error_of<IOError>([&] {
          (void)load_text_corpus(dir.file("nowhere"), {});
        }).find("apt-get install fortunes") != std::string::npos);
}

TEST_CASE("char vocabulary: ids in byte order, 0 for unseen bytes, decode inverts encode") {
  const CharVocabulary vocab("hello, world");
  CHECK(vocab.chars() == " ,dehlorw");
  CHECK(vocab.size() == 10);
  CHECK(vocab.encode("hold!").to_vector() == std::vector<double>{5, 7, 6, 3, 0});
  const std::vector<std::int64_t> ids = vocab.encode("world").to_vector_as<std::int64_t>();
  CHECK(vocab.decode(ids) == "world");
  CHECK(vocab.decode(std::vector<std::int64_t>{0, 1}) == "? ");
  CHECK_THROWS_AS((void)vocab.decode(std::vector<std::int64_t>{10}), IndexError);
}

TEST_CASE("next-token windows: inputs and targets one token apart, stride between windows") {
  const Tensor tokens = arange(0, 10, 1, {.dtype = DType::Int64});
  const TensorDataset w = next_token_windows(tokens, 3, 3);
  // Windows start at 0, 3, 6 (the last one's final target is token 9).
  CHECK(w.data().shape() == Shape{3, 3});
  CHECK(w.data().to_vector() == std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(w.targets().to_vector() == std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(next_token_windows(tokens, 3, 4).size() == 2);  // 0 and 4; 8 would need token 11
  const TensorDataset overlap = next_token_windows(tokens, 4, 1);
  CHECK(overlap.size() == 6);
  CHECK(slice(overlap.data(), 0, 5, 6).to_vector() == std::vector<double>{5, 6, 7, 8});
  CHECK(slice(overlap.targets(), 0, 5, 6).to_vector() == std::vector<double>{6, 7, 8, 9});
  CHECK_THROWS_AS((void)next_token_windows(tokens, 10, 1), ValueError);
  CHECK_THROWS_AS((void)next_token_windows(tokens, 3, 0), ValueError);
  CHECK_THROWS_AS((void)next_token_windows(tokens.to(DType::Float32), 3, 1), ValueError);
}

TEST_CASE("entropies of a text from its own counts, hand-computed") {
  // "aab": p(a) = 2/3, p(b) = 1/3; pairs aa, ab after a, a: H(pair) = 1, H(first) = 0.
  CHECK(unigram_entropy_bits("aab") == doctest::Approx(-(2.0 / 3 * std::log2(2.0 / 3) + 1.0 / 3 * std::log2(1.0 / 3))));
  CHECK(bigram_entropy_bits("aab") == doctest::Approx(1.0));
  // A periodic text is fully predictable from the byte before.
  CHECK(unigram_entropy_bits("abcabcabc") == doctest::Approx(std::log2(3.0)));
  CHECK(bigram_entropy_bits("abcabcabc") == doctest::Approx(0.0));
  CHECK(unigram_entropy_bits("") == 0.0);
  CHECK(bigram_entropy_bits("a") == 0.0);
}

TEST_CASE("sample_token: greedy, top-k support, frequencies follow softmax(logits / T)") {
  const Tensor logits = tensor({1.0, 3.0, 2.0, 3.0}, {.dtype = DType::Float32});
  Generator gen(7);
  CHECK(sample_token(logits, {.temperature = 0.0}, gen) == 1);  // tie between 1 and 3: the lower id
  CHECK(sample_token(logits, {.top_k = 1}, gen) == 1);
  // top_k = 3 keeps ids 1, 3, 2: id 0 never comes.
  std::vector<int> counts(4, 0);
  const int draws = 20000;
  for (int i = 0; i < draws; ++i)
    ++counts[static_cast<std::size_t>(sample_token(logits, {.temperature = 2.0, .top_k = 3}, gen))];
  CHECK(counts[0] == 0);
  // p = exp(x / 2) / sum over the kept ids.
  const double z = 2 * std::exp(1.5) + std::exp(1.0);
  const double expected[4] = {0.0, std::exp(1.5) / z, std::exp(1.0) / z, std::exp(1.5) / z};
  for (int id = 1; id < 4; ++id) {
    const double p = expected[id];
    const double sigma = std::sqrt(p * (1 - p) / draws);
    CHECK(std::abs(counts[static_cast<std::size_t>(id)] / double(draws) - p) < 5 * sigma);
  }
  // The same seed draws the same tokens.
  Generator a(3), b(3);
  for (int i = 0; i < 50; ++i) CHECK(sample_token(logits, {}, a) == sample_token(logits, {}, b));
  CHECK_THROWS_AS((void)sample_token(logits, {.temperature = -1.0}, gen), ValueError);
  CHECK_THROWS_AS((void)sample_token(logits, {.top_k = -2}, gen), ValueError);
  CHECK_THROWS_AS((void)sample_token(tensor({1.0, INFINITY}), {}, gen), ValueError);
  CHECK_THROWS_AS((void)sample_token(zeros({2, 2}), {}, gen), ValueError);
}
