#ifndef SENSOR_GATEWAY_MALLOC_TUNING_H
#define SENSOR_GATEWAY_MALLOC_TUNING_H

/// Bounds how much freed memory the C allocator keeps for later: at most two arenas, blocks of
/// 256 KiB and more mapped and unmapped on their own, free memory at the top of a heap beyond
/// 256 KiB returned. Leaves alone what the operator set (GLIBC_TUNABLES, MALLOC_ARENA_MAX,
/// MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_). Call before starting threads. No-op off glibc.
void sg_malloc_bound_retention(void);

/// Returns the free memory inside the allocator's heaps to the system (glibc's `malloc_trim`):
/// after a burst (a catch-up, a fleet's first minutes) the memory it held is free but stays
/// resident, scattered between live blocks the heap's top trim cannot pass. Only in a process
/// that called `sg_malloc_bound_retention` (the `run` command; not one that embeds the gateway,
/// such as the test suite), and not when the operator tuned glibc (GLIBC_TUNABLES or
/// MALLOC_TRIM_THRESHOLD_ set). Returns 1 when memory was returned. No-op (0) off glibc.
int sg_malloc_release_free(void);

/// Bytes the allocator has handed out and not had back (in its heaps and in blocks mapped on
/// their own), for benchmarks that measure what a structure keeps. 0 off glibc.
unsigned long long sg_malloc_bytes_in_use(void);

#endif
