/// A binary min-heap of held readings ordered by seq: the reorder buffer releases them in
/// ascending seq order however they arrived.
struct ReorderHeap: Codable, Sendable {
    private(set) var items: [HeldReading] = []

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var min: HeldReading? { items.first }

    mutating func push(_ e: HeldReading) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].reading.seq < items[parent].reading.seq else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    @discardableResult
    mutating func popMin() -> HeldReading? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        // A new sensor's or a long gap's backlog can grow the buffer; give it back once empty
        // (10,000 sensors keeping their largest backlog's capacity add up: a first-sight hold of
        // 5-16 readings kept 16 slots of 104 bytes, 16 MB over 10,000 sensors). An in-order
        // stream holds one reading at a time, and keeps its small buffer.
        if items.isEmpty && items.capacity > 4 { items = [] }
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < items.count, items[l].reading.seq < items[smallest].reading.seq { smallest = l }
            if r < items.count, items[r].reading.seq < items[smallest].reading.seq { smallest = r }
            if smallest == i { break }
            items.swapAt(i, smallest)
            i = smallest
        }
        return top
    }

    /// Whether a reading with this seq is held (the heap is usually empty or tiny).
    /// The reading held for `seq`, if any.
    func held(seq: UInt64) -> HeldReading? { items.first { $0.reading.seq == seq } }

    /// Takes out the reading held for `seq`, if any (rare: a restart's reconciliation).
    mutating func remove(seq: UInt64) {
        let rest = items.filter { $0.reading.seq != seq }
        guard rest.count < items.count else { return }
        items = []
        for e in rest { push(e) }
    }

    /// Puts `replacement` in the place of the reading held for its seq (the order stays).
    mutating func replace(with replacement: HeldReading) {
        guard let i = items.firstIndex(where: { $0.reading.seq == replacement.reading.seq }) else { return }
        items[i] = replacement
    }

    /// The valid (in-range) held reading with the smallest seq above `seq`: the right-hand
    /// neighbour for an estimate.
    func firstValid(after seq: UInt64) -> HeldReading? {
        var best: HeldReading?
        for item in items where item.inRange && item.reading.seq > seq {
            if best == nil || item.reading.seq < best!.reading.seq { best = item }
        }
        return best
    }

    /// When the earliest held reading arrived: the moment the gap in front of them was noticed.
    var earliestReceipt: Int64? {
        var earliest: Int64?
        for item in items where item.receivedAt < (earliest ?? .max) { earliest = item.receivedAt }
        return earliest
    }
}

/// A reading waiting in a sensor's reorder heap.
struct HeldReading: Codable, Sendable {
    var reading: Reading
    var receivedAt: Int64
    var inRange: Bool
    /// The valid range that rejected an out-of-range reading (nil for a valid one, and in
    /// snapshots from before it was kept). Its `corrected` estimate stays inside it as well as
    /// inside the range in force at release, so a reload that widens the range meanwhile cannot
    /// publish an estimate beyond the raw value the gateway rejected.
    var rejectedBy: ValidBounds? = nil
}

/// A valid range as configured when a reading was judged (bounds in the reading's unit).
struct ValidBounds: Codable, Sendable, Equatable {
    var min: Double
    var max: Double
}
