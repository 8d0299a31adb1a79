/// The tracked sensors, roughly in the order they were last heard from, so that at the
/// `max-sensors` cap a new id can take the place of one that has gone quiet (a flood of one-shot
/// ids must not lock real sensors out until the retention period ends).
///
/// Each sensor has one entry, with the receipt time it had when queued. A sensor heard from
/// since is not moved at once (that would cost on every message); when its entry reaches the
/// front it is queued again with its current time. So the front is, after that correction, a
/// sensor silent at least since its entry's time. Part of the engine's state (snapshots keep
/// it), so a restored engine admits and evicts the same sensors as the original.
struct SilenceQueue: Codable, Sendable, Equatable {
    struct Entry: Codable, Sendable, Equatable {
        var sensor: Int
        var heardAt: Int64
    }

    private var entries: [Entry] = []
    private var head = 0

    var count: Int { entries.count - head }

    /// The queue of `receipts` (each sensor's last receipt, by index), oldest first (ties by index).
    init(receipts: [Int64] = []) {
        entries = receipts.enumerated().map { Entry(sensor: $0, heardAt: $1) }
            .sorted { ($0.heardAt, $0.sensor) < ($1.heardAt, $1.sensor) }
    }

    mutating func append(_ sensor: Int, heardAt: Int64) {
        entries.append(Entry(sensor: sensor, heardAt: heardAt))
    }

    /// The first sensor `evictable` says may go, given how long it has been silent at `now`,
    /// taken out of the queue. Looks at most `budget` entries: one heard from lately since it was
    /// queued goes to the back with its new time; one silent at least `minimum` (by its last
    /// receipt, also when that is newer than its entry) is weighed, and goes to the back as it is
    /// when not evictable; at one silent less than `minimum` the search ends (the rest were heard
    /// from about as recently). nil when none was found. `lastHeard` gives a sensor's last receipt.
    mutating func takeSilent(
        now: Int64, minimum: Int64, budget: Int, lastHeard: (Int) -> Int64,
        evictable: (_ sensor: Int, _ silentFor: Int64) -> Bool
    ) -> Int? {
        for _ in 0..<budget {
            guard head < entries.count else { return nil }
            let front = entries[head]
            let heard = lastHeard(front.sensor)
            // Heard from since it was queued, but still silent long enough: weighed now. Sent to
            // the back with that older time instead, it hid behind newer entries, where the
            // search below stops (found black-box: sensors silent for 65 s kept their places
            // and 25 new ids were refused).
            if heard != front.heardAt && now - heard < minimum {
                removeFront()
                append(front.sensor, heardAt: heard)
                continue
            }
            guard now - heard >= minimum else { return nil }
            removeFront()
            if evictable(front.sensor, now - heard) { return front.sensor }
            append(front.sensor, heardAt: heard)
        }
        return nil
    }

    private mutating func removeFront() {
        head += 1
        if head >= 1024 && head * 2 >= entries.count {
            entries.removeFirst(head)
            head = 0
        }
    }
}
