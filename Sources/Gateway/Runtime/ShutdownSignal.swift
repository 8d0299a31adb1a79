import Dispatch
import Foundation
import Synchronization

/// Set by SIGTERM/SIGINT (or by a test); the service loop notices within one wait and drains.
public final class ShutdownSignal: Sendable {
    private let requested = Mutex(false)

    public init() {}

    public var isRequested: Bool { requested.withLock { $0 } }

    public func request() { requested.withLock { $0 = true } }

    /// Routes SIGTERM and SIGINT here instead of their default (immediate termination).
    public func installSignalHandlers() {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.request() }
            source.resume()
            SignalSources.keep(source)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Keeps the process's signal sources alive for its lifetime (a source that is deallocated
/// stops delivering). `@unchecked Sendable`: Dispatch's source objects are thread-safe but not
/// annotated; this box only appends under its lock and never hands them out.
private final class SignalSources: @unchecked Sendable {
    static let shared = SignalSources()
    private let lock = NSLock()
    private var sources: [DispatchSourceSignal] = []

    static func keep(_ source: DispatchSourceSignal) {
        shared.lock.lock()
        shared.sources.append(source)
        shared.lock.unlock()
    }
}
