import CMallocTuning
import Synchronization

/// Gives the allocator's free memory back to the system once a minute (`Maintenance`'s
/// `freeMemory` policy), so the gateway's resident size follows what it holds rather than its
/// highest point. After a burst (a catch-up, a fleet's first minutes with the field's faults, when
/// readings wait in reorder buffers for resends) the memory those held is free but stays resident,
/// scattered between live blocks the allocator's own trimming of its heap's top cannot pass
/// (docs/PERFORMANCE.md, "Memory after a burst, and over the first hour").
///
/// Only in the `run` command's process, whose allocator `CMallocTuning` tuned: a process that
/// embeds the gateway (the test suite) keeps its allocator as it is. The return runs off the
/// service loop (a detached task, as the background snapshot write does), one at a time. It
/// holds each allocator arena's lock while it walks its free memory: measured at 22-43 ms for a
/// 200 MB heap of small blocks, the longest any other thread then waits to allocate, once a
/// minute.
final class FreeMemoryRelease: Sendable {
    /// How often, in monotonic ms.
    static let intervalMs: Int64 = 60_000
    private let running = Mutex(false)

    /// Starts a return in the background, unless one is still running.
    func start() {
        let busy = running.withLock { r in
            defer { r = true }
            return r
        }
        guard !busy else { return }
        Task.detached { [self] in
            _ = sg_malloc_release_free()
            running.withLock { $0 = false }
        }
    }
}
