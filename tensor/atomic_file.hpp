// Writing a file so that readers, crashes and concurrent writers only ever see a complete
// old or a complete new version of it.
#pragma once

#include <string>
#include <string_view>

namespace tg {

// Writes `bytes` to a temporary file of a unique name next to `path` (so concurrent writers
// never share one), flushes it to disk, renames it over `path` (atomic on POSIX) and
// flushes the directory, so the rename itself survives a power loss. On failure the
// temporary file is removed, `path` is untouched, and an IOError names `what` and the cause.
// A process killed mid-write can leave a stray "<path>.tmp.*" file, never a partial `path`.
void write_file_atomically(const std::string& path, std::string_view bytes, std::string_view what);

}  // namespace tg
