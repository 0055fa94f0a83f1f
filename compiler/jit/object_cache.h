// An `llvm::ObjectCache` that keeps one compiled program per file.
//
// Internal to the JIT folder. A cache file wraps the object file in a small
// header with its size and SHA-256, so a truncated or damaged file is
// detected and treated as a miss rather than handed to the linker.
#pragma once

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/StringRef.h>
#include <llvm/ExecutionEngine/ObjectCache.h>
#include <llvm/Support/MemoryBuffer.h>

#include <cstddef>
#include <memory>
#include <string>

#include "compiler/jit/jit.h"

namespace parcours::jit {

// A cache key: the hex SHA-256 of `parts`. Each part is hashed with its
// length, so no two different lists share a key by concatenation.
std::string ObjectCacheKey(llvm::ArrayRef<llvm::StringRef> parts);

// Removes all but the `keep` most recently used entries of `directory`
// (by modification time, which a hit sets), and temporary files of writes
// that died an hour or more ago. Errors are ignored: the cache is only a
// cache.
void PruneObjectCache(const std::string& directory, size_t keep);

// The cache entry of one module: `<directory>/<key>.pcobj`.
//
// It serves a single module, so it ignores the `Module` argument of the
// `llvm::ObjectCache` interface. Reading and writing never fail loudly:
// an unreadable or corrupt file reads as "no object", and a file that
// cannot be written is simply not written.
//
// After each new entry the folder is pruned to its `kObjectCacheEntries`
// (jit.h)
// most recently used entries (a hit counts as a use), so that a folder
// kept across CI runs or edits does not grow with every program.
class FileObjectCache final : public llvm::ObjectCache {
 public:
  FileObjectCache(std::string directory, std::string key);

  const std::string& Path() const { return path_; }

  // Makes `getObject` answer "no object" from now on. `MakeJit` reads the
  // cache itself before running the optimiser; once it has decided to
  // compile, the compiler must not pick up the file it rejected.
  void StopReading() { reading_ = false; }

  // The object file of a valid cache entry, or null.
  std::unique_ptr<llvm::MemoryBuffer> getObject(const llvm::Module*) override;

  // Stores `object`, replacing the entry atomically: readers see the old
  // file or the new one, never a partial write.
  void notifyObjectCompiled(const llvm::Module*,
                            llvm::MemoryBufferRef object) override;

 private:
  std::string directory_;
  std::string key_;
  std::string path_;
  bool reading_ = true;
};

}  // namespace parcours::jit
