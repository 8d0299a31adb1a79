import Foundation

/// Runs `body` on a thread of its own and returns its result, so a blocking wait (a thread
/// joined, an acknowledgement awaited on the `Inbox`) never holds a thread of the cooperative
/// pool.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
        Thread { continuation.resume(returning: body()) }.start()
    }
}
