#ifndef SENSOR_GATEWAY_MALLOC_TUNING_H
#define SENSOR_GATEWAY_MALLOC_TUNING_H

/// Bounds how much freed memory the C allocator keeps for later: at most two arenas, blocks of
/// 256 KiB and more mapped and unmapped on their own, free memory at the top of a heap beyond
/// 256 KiB returned. Leaves alone what the operator set (GLIBC_TUNABLES, MALLOC_ARENA_MAX,
/// MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_). Call before starting threads. No-op off glibc.
void sg_malloc_bound_retention(void);

#endif
