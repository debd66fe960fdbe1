// The safetensors format (readable by Python's `safetensors`): an 8-byte little-endian
// header length, a JSON header {"name": {"dtype", "shape", "data_offsets": [begin, end]},
// "__metadata__": {string: string}} padded with spaces to 8 bytes, then the raw
// little-endian tensor bytes, back to back. Supported dtypes: F32, F64, I64, BOOL.
//
// Files written here also carry a CRC-32 of the data section in the metadata
// ("tapegrad.crc32"), so flipped data bytes are detected on load; files without it
// (e.g. written by Python) are accepted on structural checks alone.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nn/modules/module.hpp"

namespace tg::nn {

// The largest JSON header read, in bytes. The reference implementation allows 100,000,000;
// a header takes about 100 bytes per tensor, so 16 MiB still holds over 100,000 tensors
// (large checkpoints have a few thousand per file), while a hostile header can only cost a
// bounded parse (parsed values take a few times their text in memory: see docs/overflow.md).
inline constexpr std::uint64_t kMaxSafetensorsHeader = std::uint64_t{16} << 20;

using Metadata = std::vector<std::pair<std::string, std::string>>;

struct SafetensorsContents {
  std::vector<NamedTensor> tensors;  // in file order (by data offset)
  Metadata metadata;
};

// Written atomically (see write_file_atomically): a crash never leaves a half file, and
// concurrent savers to one path leave one complete file.
void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors, const Metadata& metadata = {});
// Validates everything (sizes, JSON, dtypes, shapes, offsets, bool bytes, checksum) before
// returning; throws IOError naming the file and the problem. Only regular files are read.
SafetensorsContents load_safetensors(const std::string& path);

// Serialises in memory (used by save_safetensors; handy for tests).
std::string encode_safetensors(const std::vector<NamedTensor>& tensors, const Metadata& metadata = {});
SafetensorsContents decode_safetensors(const std::string& bytes, const std::string& source_name);

}  // namespace tg::nn
