/// The seqs one metric's stream gets from its node's message counters (docs/SPARKPLUG.md, "Seqs").
///
/// A node's `seq` counts its messages, not a metric's readings: a data message carries only the
/// metrics that changed. So a stream's seq goes up by one for each node message that carried
/// the metric, and by one for each node message that was missing when the stream moved past
/// it: a message that may have carried it. The engine then sees a gap exactly where a message
/// is missing, waits for it for the reorder window and fills it as for any sensor; a missing
/// message that arrives late takes the seq kept for it (restating the estimate).
struct SparkplugSlots: Codable, Sendable, Equatable {
    /// The counter of the last message that carried the metric (one before the birth's, before
    /// any did).
    private(set) var lastCounter: Int64
    /// The seq the next message that carries the metric gets, missing messages before it aside.
    private(set) var nextSeq: UInt64 = 0
    /// Seqs kept for messages that were missing, by counter, oldest first.
    private var keptCounters: [Int64] = []
    private var keptSeqs: [UInt64] = []

    /// A stream whose node was born at counter `birth`: the birth's reading gets seq 0, as a
    /// sensor's epoch starts at 0 (a metric first carried later gets more, one per message
    /// missing since the birth).
    init(birth: Int64) {
        lastCounter = birth - 1
    }

    /// The seq of the metric's reading in the message at counter `c`; nil when none can be
    /// given (a message further back than any kept seq: its place was given up).
    mutating func seq(at c: Int64, _ sequence: SparkplugSequence) -> UInt64? {
        if c > lastCounter {
            var next = nextSeq
            var n = Swift.max(lastCounter + 1, c - SparkplugSequence.window + 1)
            while n < c {
                if !sequence.isSeen(n) {
                    keptCounters.append(n)
                    keptSeqs.append(next)
                    next += 1
                }
                n += 1
            }
            lastCounter = c
            nextSeq = next + 1
            forgetKeptBefore(c - SparkplugSequence.window + 1)
            return next
        }
        guard let i = keptCounters.firstIndex(of: c) else { return nil }
        keptCounters.remove(at: i)
        return keptSeqs.remove(at: i)
    }

    /// Places further back than the window are never matched again (the seq reads as another).
    private mutating func forgetKeptBefore(_ oldest: Int64) {
        let drop = keptCounters.prefix { $0 < oldest }.count
        if drop > 0 {
            keptCounters.removeFirst(drop)
            keptSeqs.removeFirst(drop)
        }
    }
}
