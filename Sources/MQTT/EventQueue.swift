import Synchronization

/// Hands events from libmosquitto's network thread to one async consumer, in batches, or with
/// a `forward` handler to that handler on the network thread itself, a batch per turn of the
/// network loop (no task wake-up at all).
///
/// The callback side only appends under a lock and, when the consumer is parked, resumes it;
/// it never blocks or awaits. The consumer takes everything queued at once, so a burst of
/// messages costs one task wake-up rather than one per message.
final class EventQueue: Sendable {
    private struct State {
        var accepted = false
        var buffer: [MQTTEvent] = []
        var waiter: CheckedContinuation<[MQTTEvent], Never>?
        var finished = false
    }

    private let state = Mutex(State())
    private let forward: (@Sendable ([MQTTEvent]) -> Void)?

    init(forward: (@Sendable ([MQTTEvent]) -> Void)? = nil) {
        self.forward = forward
    }

    /// With a `forward` handler: hands it what was pushed since the last call. Called by the
    /// network thread after each turn of its loop.
    func deliver() {
        guard let forward else { return }
        let batch = state.withLock { s -> [MQTTEvent] in
            guard !s.finished, !s.buffer.isEmpty else { return [] }
            defer { s.buffer.removeAll(keepingCapacity: true) }
            return s.buffer
        }
        if !batch.isEmpty { forward(batch) }
    }

    /// Called from the network thread.
    func push(_ event: MQTTEvent) {
        let resume: (CheckedContinuation<[MQTTEvent], Never>, [MQTTEvent])? = state.withLock { s in
            guard !s.finished else { return nil }
            if let waiter = s.waiter {
                s.waiter = nil
                var batch = s.buffer
                s.buffer = []
                batch.append(event)
                return (waiter, batch)
            }
            s.buffer.append(event)
            return nil
        }
        if let (waiter, batch) = resume { waiter.resume(returning: batch) }
    }

    /// Returns events taken by `next()` to the front of the queue, ahead of any that arrived since.
    func putBack(_ events: [MQTTEvent]) {
        guard !events.isEmpty else { return }
        let resume: (CheckedContinuation<[MQTTEvent], Never>, [MQTTEvent])? = state.withLock { s in
            s.buffer.insert(contentsOf: events, at: 0)
            guard let waiter = s.waiter else { return nil }
            s.waiter = nil
            defer { s.buffer = [] }
            return (waiter, s.buffer)
        }
        if let (waiter, batch) = resume { waiter.resume(returning: batch) }
    }

    /// Notes that the broker accepted a connection (read by the network loop to reset its backoff).
    func noteAccepted() { state.withLock { $0.accepted = true } }

    /// Whether a connection was accepted since the last call.
    func takeAccepted() -> Bool {
        state.withLock { s in
            defer { s.accepted = false }
            return s.accepted
        }
    }

    /// Ends the stream: a parked consumer and later calls to `next()` get an empty batch.
    func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<[MQTTEvent], Never>? in
            s.finished = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: [])
    }

    /// Waits for at least one event and returns all queued ones; empty once finished or cancelled.
    func next() async -> [MQTTEvent] {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[MQTTEvent], Never>) in
                let immediate: [MQTTEvent]? = state.withLock { s in
                    if !s.buffer.isEmpty {
                        defer { s.buffer = [] }
                        return s.buffer
                    }
                    if s.finished || Task.isCancelled { return [] }
                    s.waiter = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<[MQTTEvent], Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume(returning: [])
        }
    }
}
