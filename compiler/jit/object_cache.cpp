#include "compiler/jit/object_cache.h"

#include <llvm/ADT/SmallString.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/Endian.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/SHA256.h>
#include <llvm/Support/raw_ostream.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace parcours::jit {
namespace {

// Cache file layout: magic, payload size (little-endian u64), SHA-256 of the
// payload, payload (the object file). Bumping the magic's last character
// retires every file of an older layout.
constexpr char kMagic[8] = {'P', 'C', 'J', 'I', 'T', 'O', 'B', '1'};
constexpr size_t kSizeOffset = sizeof(kMagic);
constexpr size_t kDigestOffset = kSizeOffset + 8;
constexpr size_t kHeaderSize = kDigestOffset + 32;

std::array<uint8_t, 32> Digest(llvm::StringRef bytes) {
  return llvm::SHA256::hash(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

// The payload of a well-formed cache file, or an empty ref.
llvm::StringRef ValidPayload(llvm::StringRef file) {
  if (file.size() < kHeaderSize) return {};
  if (std::memcmp(file.data(), kMagic, sizeof(kMagic)) != 0) return {};

  uint64_t size = llvm::support::endian::read64le(file.data() + kSizeOffset);
  if (size != file.size() - kHeaderSize) return {};

  llvm::StringRef payload = file.substr(kHeaderSize);
  std::array<uint8_t, 32> digest = Digest(payload);
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

FileObjectCache::FileObjectCache(std::string directory, const std::string& key)
    : directory_(std::move(directory)),
      path_(directory_ + "/" + key + ".pcobj") {}

std::unique_ptr<llvm::MemoryBuffer> FileObjectCache::getObject(
    const llvm::Module*) {
  if (!reading_) return nullptr;

  auto file = llvm::MemoryBuffer::getFile(path_, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file) return nullptr;

  llvm::StringRef payload = ValidPayload((*file)->getBuffer());
  if (payload.empty() || !ParsesAsObject(payload)) return nullptr;

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
  std::array<uint8_t, 32> digest = Digest(payload);
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
  }
}

}  // namespace parcours::jit
