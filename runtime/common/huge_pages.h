// An allocator for large tables read at random places, such as the slots
// of a hash index over millions of profiles.
//
// With 4 KB pages, a lookup in a table of tens of megabytes misses the
// TLB as well as the cache: the processor walks the page tables before it
// can fetch the slot, and under a hypervisor that walk is itself several
// misses. Blocks of 2 MB and more are therefore mapped on their own and
// marked for transparent huge pages (`MADV_HUGEPAGE`, which Debian's
// default "madvise" mode honours), so one TLB entry covers 2 MB. Smaller
// blocks, and systems that refuse the advice, get ordinary memory.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <new>

namespace parcours::common {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

template <typename T>
class HugePageAllocator {
 public:
  using value_type = T;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}

  T* allocate(size_t count) {
    size_t bytes = count * sizeof(T);
    if (bytes < kHugePageBytes) {
      return static_cast<T*>(::operator new(bytes));
    }
    void* block = mmap(nullptr, MappedBytes(bytes), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) throw std::bad_alloc();
    // Only advice: without huge pages the table works as before.
    (void)madvise(block, MappedBytes(bytes), MADV_HUGEPAGE);
    return static_cast<T*>(block);
  }

  void deallocate(T* block, size_t count) {
    size_t bytes = count * sizeof(T);
    if (bytes < kHugePageBytes) {
      ::operator delete(block);
      return;
    }
    munmap(block, MappedBytes(bytes));
  }

  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }

 private:
  static size_t MappedBytes(size_t bytes) {
    return (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  }
};

}  // namespace parcours::common
