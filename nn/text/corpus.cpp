#include "nn/text/corpus.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "tensor/error.hpp"
#include "tensor/factories.hpp"

namespace tg::nn {

namespace fs = std::filesystem;

std::string default_fortunes_dir() {
  const char* dir = std::getenv("TAPEGRAD_FORTUNES_DIR");
  return dir != nullptr && *dir != '\0' ? dir : kFortunesPackageDir;
}

std::vector<std::string> default_fortunes_validation_files() { return {"humorists", "literature", "science"}; }

namespace {

bool is_text_file(const fs::directory_entry& entry) {
  const std::string name = entry.path().filename().string();
  const std::string ext = entry.path().extension().string();
  return entry.is_regular_file() && !name.starts_with(".") && ext != ".dat" && ext != ".u8";
}

// The file's text with each "%" separator line turned into an empty line.
std::string read_fortune_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  TG_CHECK(in.good(), IOError, "text corpus: cannot open '{}'", path.string());
  std::string out, line;
  while (std::getline(in, line)) {
    if (line != "%") out += line;
    out += '\n';
  }
  TG_CHECK(!in.bad(), IOError, "text corpus: read error in '{}'", path.string());
  return out;
}

}  // namespace

TextCorpus load_text_corpus(const std::string& dir, const std::vector<std::string>& validation_files) {
  TG_CHECK(fs::is_directory(dir), IOError,
           "text corpus: directory '{}' does not exist (for the fortunes corpus: `sudo apt-get install fortunes`, or "
           "point --data-dir / TAPEGRAD_FORTUNES_DIR at a folder of text files)",
           dir);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (is_text_file(entry)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const std::string& name : validation_files)
    TG_CHECK(std::any_of(files.begin(), files.end(), [&](const fs::path& p) { return p.filename() == name; }), IOError,
             "text corpus: validation file '{}' is not in '{}'", name, dir);
  TextCorpus corpus;
  for (const fs::path& path : files) {
    const std::string name = path.filename().string();
    const bool held_out = std::find(validation_files.begin(), validation_files.end(), name) != validation_files.end();
    (held_out ? corpus.validation : corpus.train) += read_fortune_text(path);
    (held_out ? corpus.validation_files : corpus.train_files).push_back(name);
  }
  TG_CHECK(!corpus.train.empty() && !corpus.validation.empty(), IOError,
           "text corpus: '{}' gives {} bytes of training text and {} of validation text; both must be non-empty", dir,
           corpus.train.size(), corpus.validation.size());
  return corpus;
}

CharVocabulary::CharVocabulary(std::string_view text) {
  std::array<bool, 256> seen{};
  for (const char c : text) seen[static_cast<unsigned char>(c)] = true;
  for (int b = 0; b < 256; ++b)
    if (seen[static_cast<std::size_t>(b)]) {
      chars_ += static_cast<char>(b);
      ids_[b] = static_cast<std::int64_t>(chars_.size());
    }
}

Tensor CharVocabulary::encode(std::string_view text) const {
  std::vector<std::int64_t> ids(text.size());
  std::transform(text.begin(), text.end(), ids.begin(), [&](char c) { return id(static_cast<unsigned char>(c)); });
  return from_vector(ids, {static_cast<std::int64_t>(ids.size())});
}

std::string CharVocabulary::decode(std::span<const std::int64_t> ids) const {
  std::string out;
  out.reserve(ids.size());
  for (const std::int64_t i : ids) {
    TG_CHECK(i >= 0 && i < size(), IndexError, "CharVocabulary::decode: id {} is out of range [0, {})", i, size());
    out += i == 0 ? '?' : chars_[static_cast<std::size_t>(i - 1)];
  }
  return out;
}

TensorDataset next_token_windows(const Tensor& tokens, std::int64_t length, std::int64_t stride) {
  TG_CHECK(tokens.dim() == 1 && tokens.dtype() == DType::Int64, ValueError,
           "next_token_windows: tokens must be a 1-D int64 tensor, got {} {}", tokens.dtype(), tokens.shape());
  TG_CHECK(length > 0 && stride > 0, ValueError,
           "next_token_windows: length and stride must be positive, got length {} stride {}", length, stride);
  TG_CHECK(tokens.size(0) > length, ValueError, "next_token_windows: {} tokens hold no window of {} + 1",
           tokens.size(0), length);
  const std::int64_t n = (tokens.size(0) - length - 1) / stride + 1;
  // Overlapping strided views of the token sequence, copied once into [n, length].
  const Tensor t = raw::contiguous(tokens);
  const Tensor inputs = raw::contiguous(raw::as_strided(t, {n, length}, {stride, 1}, t.offset()));
  const Tensor targets = raw::contiguous(raw::as_strided(t, {n, length}, {stride, 1}, t.offset() + 1));
  return TensorDataset(inputs, targets);
}

namespace {

double entropy_bits(const std::vector<double>& counts, double total) {
  double h = 0.0;
  for (const double c : counts)
    if (c > 0) h -= c / total * std::log2(c / total);
  return h;
}

}  // namespace

double unigram_entropy_bits(std::string_view text) {
  std::vector<double> counts(256, 0.0);
  for (const char c : text) counts[static_cast<unsigned char>(c)] += 1;
  return text.empty() ? 0.0 : entropy_bits(counts, static_cast<double>(text.size()));
}

double bigram_entropy_bits(std::string_view text) {
  if (text.size() < 2) return 0.0;
  // H(X_t | X_t-1) = H(X_t-1, X_t) - H(X_t-1), over the text's n - 1 pairs.
  std::vector<double> pairs(256 * 256, 0.0), firsts(256, 0.0);
  for (std::size_t i = 1; i < text.size(); ++i) {
    const auto a = static_cast<unsigned char>(text[i - 1]), b = static_cast<unsigned char>(text[i]);
    pairs[a * 256u + b] += 1;
    firsts[a] += 1;
  }
  const double n = static_cast<double>(text.size() - 1);
  return entropy_bits(pairs, n) - entropy_bits(firsts, n);
}

}  // namespace tg::nn
