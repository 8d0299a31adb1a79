// glibc keeps freed memory for reuse: per-thread arenas (up to 8 per core) and a mapping
// threshold that grows after large blocks are freed, so large arrays end up inside the heaps
// and fragment them. Measured on the gateway at 10,000 sensors, that doubled the resident size
// over the live heap; these settings bound it.
#include "malloc_tuning.h"

#include <stdlib.h>

#if defined(__GLIBC__)
#include <malloc.h>

// Set by sg_malloc_bound_retention (before any thread starts, so every later reader sees it):
// only a process whose allocator this module tuned returns its free memory. A process that
// embeds the gateway (the test suite runs dozens in one, its allocator untuned) keeps its
// allocator as it is: each return there walked the whole process's heap, and together they
// stalled every thread (a parse test took 224 s in a CI run).
static int tuned = 0;

void sg_malloc_bound_retention(void) {
    if (getenv("GLIBC_TUNABLES") != NULL) return;
    tuned = 1;
    if (getenv("MALLOC_ARENA_MAX") == NULL) mallopt(M_ARENA_MAX, 2);
    if (getenv("MALLOC_MMAP_THRESHOLD_") == NULL) mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    if (getenv("MALLOC_TRIM_THRESHOLD_") == NULL) mallopt(M_TRIM_THRESHOLD, 256 * 1024);
}

int sg_malloc_release_free(void) {
    if (!tuned || getenv("MALLOC_TRIM_THRESHOLD_") != NULL) return 0;
    return malloc_trim(0);
}

unsigned long long sg_malloc_bytes_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return (unsigned long long)info.uordblks + (unsigned long long)info.hblkhd;
}

#else
void sg_malloc_bound_retention(void) {}
int sg_malloc_release_free(void) { return 0; }
unsigned long long sg_malloc_bytes_in_use(void) { return 0; }
#endif
