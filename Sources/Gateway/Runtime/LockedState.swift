import Synchronization

/// A value that is not `Sendable` (the journal, a class with file handles), reached only while
/// holding a lock.
///
/// `@unchecked Sendable` because the compiler cannot see that every access goes through
/// `withLock`; this wrapper adds nothing else and never hands the value out of the closure.
final class LockedState<Value>: @unchecked Sendable {
    private let mutex = Mutex(())
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        try mutex.withLock { _ in try body(&value) }
    }
}
