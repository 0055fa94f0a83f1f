#include "compiler/jit/object_cache.h"

#include <llvm/ADT/SmallString.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/Endian.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/SHA256.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace parcours::jit {
namespace {

// Cache file layout: magic, payload size (little-endian u64), SHA-256 of the
// key and the payload, payload (the object file). Bumping the magic's last
// character retires every file of an older layout. The key is in the
// digest so that a file copied or restored under another program's name
// reads as a miss, not as that program's code.
constexpr char kMagic[8] = {'P', 'C', 'J', 'I', 'T', 'O', 'B', '2'};
constexpr size_t kSizeOffset = sizeof(kMagic);
constexpr size_t kDigestOffset = kSizeOffset + 8;
constexpr size_t kHeaderSize = kDigestOffset + 32;
constexpr char kSuffix[] = ".pcobj";

std::array<uint8_t, 32> Digest(llvm::StringRef key, llvm::StringRef payload) {
  llvm::SHA256 hasher;
  char size[8];
  llvm::support::endian::write64le(size, key.size());
  hasher.update(llvm::StringRef(size, sizeof(size)));
  hasher.update(key);
  hasher.update(payload);
  return hasher.final();
}

// The payload of a well-formed cache file of `key`, or an empty ref.
llvm::StringRef ValidPayload(llvm::StringRef file, llvm::StringRef key) {
  if (file.size() < kHeaderSize) return {};
  if (std::memcmp(file.data(), kMagic, sizeof(kMagic)) != 0) return {};

  uint64_t size = llvm::support::endian::read64le(file.data() + kSizeOffset);
  if (size != file.size() - kHeaderSize) return {};

  llvm::StringRef payload = file.substr(kHeaderSize);
  std::array<uint8_t, 32> digest = Digest(key, payload);
  if (std::memcmp(file.data() + kDigestOffset, digest.data(), 32) != 0) {
    return {};
  }
  return payload;
}

// Whether LLVM recognises `bytes` as an object file at all; a last line of
// defence for a file with a valid checksum but foreign content.
bool ParsesAsObject(llvm::StringRef bytes) {
  auto object = llvm::object::ObjectFile::createObjectFile(
      llvm::MemoryBufferRef(bytes, "cached object"));
  if (object) return true;
  llvm::consumeError(object.takeError());
  return false;
}

}  // namespace

std::string ObjectCacheKey(llvm::ArrayRef<llvm::StringRef> parts) {
  llvm::SHA256 hasher;
  for (llvm::StringRef part : parts) {
    char size[8];
    llvm::support::endian::write64le(size, part.size());
    hasher.update(llvm::StringRef(size, sizeof(size)));
    hasher.update(part);
  }
  std::array<uint8_t, 32> digest = hasher.final();

  static constexpr char kHex[] = "0123456789abcdef";
  std::string key;
  for (uint8_t byte : digest) {
    key += kHex[byte >> 4];
    key += kHex[byte & 0xf];
  }
  return key;
}

FileObjectCache::FileObjectCache(std::string directory, std::string key)
    : directory_(std::move(directory)),
      key_(std::move(key)),
      path_(directory_ + "/" + key_ + kSuffix) {}

std::unique_ptr<llvm::MemoryBuffer> FileObjectCache::getObject(
    const llvm::Module*) {
  if (!reading_) return nullptr;

  auto file = llvm::MemoryBuffer::getFile(path_, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file) return nullptr;

  llvm::StringRef payload = ValidPayload((*file)->getBuffer(), key_);
  if (payload.empty() || !ParsesAsObject(payload)) return nullptr;

  // Used now: the last to be evicted when the folder is pruned.
  std::error_code ignored;
  std::filesystem::last_write_time(
      path_, std::filesystem::file_time_type::clock::now(), ignored);

  // A copy, because the linker wants a buffer of its own, suitably aligned.
  return llvm::MemoryBuffer::getMemBufferCopy(payload, path_);
}

void FileObjectCache::notifyObjectCompiled(const llvm::Module*,
                                           llvm::MemoryBufferRef object) {
  if (llvm::sys::fs::create_directories(directory_)) return;

  // A unique temporary name in the same folder, then a rename: concurrent
  // writers of one key each publish a whole file, and the last one wins.
  int fd = -1;
  llvm::SmallString<256> temporary;
  if (llvm::sys::fs::createUniqueFile(path_ + ".tmp-%%%%%%%%", fd, temporary)) {
    return;
  }

  llvm::StringRef payload = object.getBuffer();
  char size[8];
  llvm::support::endian::write64le(size, payload.size());
  std::array<uint8_t, 32> digest = Digest(key_, payload);
  {
    llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
    out.write(kMagic, sizeof(kMagic));
    out.write(size, sizeof(size));
    out.write(reinterpret_cast<const char*>(digest.data()), digest.size());
    out << payload;
    out.close();
    if (out.has_error()) {
      out.clear_error();
      llvm::sys::fs::remove(temporary);
      return;
    }
  }

  if (llvm::sys::fs::rename(temporary, path_)) {
    llvm::sys::fs::remove(temporary);
    return;
  }
  PruneObjectCache(directory_, kObjectCacheEntries);
}

void PruneObjectCache(const std::string& directory, size_t keep) {
  namespace fs = std::filesystem;
  using Clock = fs::file_time_type::clock;

  struct Entry {
    fs::file_time_type used;
    fs::path path;
  };
  std::vector<Entry> entries;
  std::error_code error;
  fs::directory_iterator it(directory, error);
  for (; !error && it != fs::directory_iterator(); it.increment(error)) {
    const fs::path& path = it->path();
    std::string name = path.filename().string();
    std::error_code ignored;
    fs::file_time_type used = fs::last_write_time(path, ignored);
    if (ignored) continue;
    // A temporary file is a write that died before its rename; one an
    // hour old is no write going on.
    if (name.find(std::string(kSuffix) + ".tmp-") != std::string::npos) {
      if (Clock::now() - used > std::chrono::hours(1))
        fs::remove(path, ignored);
      continue;
    }
    if (name.size() > sizeof(kSuffix) - 1 &&
        name.compare(name.size() - (sizeof(kSuffix) - 1), std::string::npos,
                     kSuffix) == 0) {
      entries.push_back({used, path});
    }
  }
  if (entries.size() <= keep) return;

  // The least recently used go first; ties by name, so the same folder
  // is pruned the same way.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.used != b.used) return a.used > b.used;
    return a.path < b.path;
  });
  for (size_t i = keep; i < entries.size(); ++i) {
    std::error_code ignored;
    fs::remove(entries[i].path, ignored);
  }
}

}  // namespace parcours::jit
