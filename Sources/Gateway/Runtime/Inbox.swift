import Foundation
import MQTT
import Synchronization

/// The pipeline's one place to wait: events from both broker connections, and word from the
/// network thread that journaled input is waiting.
final class Inbox: Sendable {
    enum Source: Sendable { case input, output }

    private struct State {
        var events: [(Source, MQTTEvent)] = []
        var inputWaiting = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    /// Where the service loop's thread sleeps (`waitBlocking`); signalled on every arrival.
    private let arrival = NSCondition()

    func push(_ source: Source, _ batch: [MQTTEvent]) {
        wake { s in s.events += batch.map { (source, $0) } }
    }

    func inputArrived() {
        wake { $0.inputWaiting = true }
    }

    /// Takes the events queued so far (the input flag is cleared too: the pipeline takes input
    /// every turn anyway).
    func take() -> [(Source, MQTTEvent)] {
        state.withLock { s in
            s.inputWaiting = false
            defer { s.events.removeAll(keepingCapacity: true) }
            return s.events
        }
    }

    /// Blocks the calling thread (the service loop's own) until something arrives, at once if
    /// something already has, or for at most `milliseconds`. A condition variable: no tasks, no
    /// timers, which the async wait below costs on every call.
    func waitBlocking(atMost milliseconds: Int64) {
        let deadline = Date(timeIntervalSinceNow: Double(milliseconds) / 1000)
        arrival.lock()
        defer { arrival.unlock() }
        // An arrival changes the state before it takes `arrival`'s lock to signal, so it cannot
        // fall between this check and the wait.
        while !hasArrivals {
            if !arrival.wait(until: deadline) { return }
        }
    }

    private var hasArrivals: Bool { state.withLock { !$0.events.isEmpty || $0.inputWaiting } }

    /// Returns when something arrives, at once if something already has, or after `milliseconds`
    /// (for the drain and the close, which run on the cooperative pool).
    func wait(atMost milliseconds: Int64) async {
        // Under load something has nearly always arrived during the last turn: return without
        // the two child tasks and the timer a real wait costs.
        if hasArrivals { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSignal() }
            group.addTask { try? await Task.sleep(for: .milliseconds(milliseconds)) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready: Bool = state.withLock { s in
                    if !s.events.isEmpty || s.inputWaiting || Task.isCancelled { return true }
                    s.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
    }

    private func wake(_ change: (inout State) -> Void) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            change(&s)
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
        arrival.lock()
        arrival.signal()
        arrival.unlock()
    }
}
