#include "tensor/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <random>
#include <system_error>
#include <utility>

#include "tensor/error.hpp"

namespace tg {

namespace {

// "<path>.tmp.<pid>.<random>": the pid keeps processes apart, the random part threads of
// one process and hosts sharing a file system.
std::string temporary_name(const std::string& path) {
  thread_local std::mt19937_64 bits{std::random_device{}()};
  return fmt::format("{}.tmp.{}.{:016x}", path, ::getpid(), bits());
}

// Owns a file descriptor; closes it on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ::ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::system_error(n < 0 ? errno : EIO, std::generic_category(), "write");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void check_posix(int result, const char* call) {
  if (result != 0) throw std::system_error(errno, std::generic_category(), call);
}

// fsync of the directory holding `path`, which makes a rename in it durable.
void sync_directory(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) throw std::system_error(errno, std::generic_category(), "open directory");
  // Some file systems cannot sync a directory (EINVAL); the rename is then as durable as they allow.
  if (::fsync(fd.get()) != 0 && errno != EINVAL)
    throw std::system_error(errno, std::generic_category(), "fsync directory");
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view bytes, std::string_view what) {
  const std::string tmp = temporary_name(path);
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  TG_CHECK(fd.get() >= 0, IOError, "{}: cannot create '{}': {}", what, tmp, std::strerror(errno));
  try {
    write_all(fd.get(), bytes);
    check_posix(::fsync(fd.get()), "fsync");
    check_posix(::close(fd.release()), "close");
    check_posix(::rename(tmp.c_str(), path.c_str()), "rename");
  } catch (const std::system_error& e) {
    ::unlink(tmp.c_str());
    fail<IOError>("{}: writing '{}' (through '{}') failed: {}", what, path, tmp, e.what());
  }
  try {
    sync_directory(path);
  } catch (const std::system_error& e) {
    // The new file is in place; only its durability across a power loss is in doubt.
    fail<IOError>("{}: '{}' was written but syncing its directory failed: {}", what, path, e.what());
  }
}

}  // namespace tg
