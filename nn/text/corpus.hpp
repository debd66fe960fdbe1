// Character-level text corpora for language models: text files read as bytes, split into
// training and validation by file, a vocabulary of the bytes that occur, windows of tokens
// for next-character prediction, and the entropies a model must beat.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nn/data/data.hpp"

namespace tg::nn {

// Where the Debian package `fortunes` installs its text files.
inline constexpr const char* kFortunesPackageDir = "/usr/share/games/fortunes";

// $TAPEGRAD_FORTUNES_DIR if set, else the package directory.
std::string default_fortunes_dir();

// The fortunes files held out for validation (about 8% of the corpus): whole files, so no
// fortune is seen in training and validated on.
std::vector<std::string> default_fortunes_validation_files();

struct TextCorpus {
  std::string train, validation;  // the files' texts, concatenated in name order
  std::vector<std::string> train_files, validation_files;
};

// Reads every plain text file of `dir` (skipping the strfile indexes *.dat and the *.u8
// links of the fortunes layout, and hidden files), in name order; files named in
// `validation_files` form the validation text, the others the training text. A line holding
// only "%" (the fortune separator) becomes an empty line. Throws IOError for a missing
// directory, a named validation file that is absent, or an empty training or validation text.
TextCorpus load_text_corpus(const std::string& dir, const std::vector<std::string>& validation_files);

// The bytes of a text as token ids 0..size()-1, in byte order; id 0 is kept for bytes the
// vocabulary has not seen (so validation text with a rare byte still encodes).
class CharVocabulary {
 public:
  explicit CharVocabulary(std::string_view text);
  std::int64_t size() const { return static_cast<std::int64_t>(chars_.size()) + 1; }
  std::int64_t id(unsigned char c) const { return ids_[c]; }
  Tensor encode(std::string_view text) const;                   // int64 [n]
  std::string decode(std::span<const std::int64_t> ids) const;  // id 0 decodes as '?'
  const std::string& chars() const { return chars_; }           // the byte of id i + 1 is chars()[i]

 private:
  std::string chars_;
  std::int64_t ids_[256] = {};
};

// Consecutive windows of `length` + 1 tokens, `stride` apart, as a data set: data [N, length]
// the inputs, targets [N, length] the next tokens. ValueError if tokens is not a 1-D int64
// tensor longer than `length` or length / stride are not positive.
TensorDataset next_token_windows(const Tensor& tokens, std::int64_t length, std::int64_t stride);

// Entropies of a text in bits per byte, from its own counts: what the best unigram model, and
// the best bigram model (the entropy of a byte given the one before), reach on this very text.
double unigram_entropy_bits(std::string_view text);
double bigram_entropy_bits(std::string_view text);

}  // namespace tg::nn
