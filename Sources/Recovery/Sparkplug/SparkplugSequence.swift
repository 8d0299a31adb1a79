/// One edge node's message sequence in its current birth (Sparkplug 3.0 section 6.4.2: `seq`
/// 0-255, wrapping, across all of the node's NBIRTH, DBIRTH, NDATA, DDATA and DDEATH): the
/// wrapped numbers unwrapped into a counter that keeps growing, and which of the last 256
/// counters arrived, so a duplicate is known and a missing message can be waited for.
struct SparkplugSequence: Codable, Sendable, Equatable {
    /// How many counters back a message can still be placed: a seq names one of 256 positions,
    /// so further back it would be read as a message ahead.
    static let window: Int64 = 256

    /// The counter of the node's birth (its `seq`, 0-255).
    private(set) var birth: Int64
    /// The highest counter that arrived.
    private(set) var highest: Int64
    /// Bit `c % 256` set: counter `c`, within `window` of `highest`, arrived.
    private var seen: [UInt64]
    /// The payload timestamp of the message at `highest`, when it had one: it tells a message
    /// far ahead from one far behind, which the 8-bit seq cannot.
    private(set) var highestTimestamp: UInt64?
    /// The birth message's payload timestamp: with `highestTimestamp` it gives the node's pace,
    /// which says whether a message is late enough to follow a long loss (nil in older
    /// snapshots, and for a node without timestamps).
    private(set) var birthTimestamp: UInt64?
    /// The payload timestamp of a rebirth within the session (nil for a session's first birth):
    /// a data message stamped before it was sent before it, under the sequence it restarted,
    /// and has no place in this one.
    private(set) var rebirthTimestamp: UInt64?

    init(birthSeq: UInt64, timestamp: UInt64? = nil) {
        birth = Int64(birthSeq & 0xFF)
        highest = birth
        highestTimestamp = timestamp
        birthTimestamp = timestamp
        seen = [0, 0, 0, 0]
        mark(birth)
    }

    /// The sequence of a rebirth within a session: its birth is the first counter after all of
    /// `previous` whose low 8 bits are `birthSeq`, so the counters (and the seqs streams take from
    /// them) go on growing; what lies between counts as arrived (no message is missing there).
    init(continuing previous: SparkplugSequence, birthSeq: UInt64, timestamp: UInt64?) {
        let after = previous.highest + 1
        birth = after + ((Int64(birthSeq & 0xFF) - after) & 0xFF)
        highest = birth
        highestTimestamp = timestamp
        birthTimestamp = timestamp
        rebirthTimestamp = timestamp
        seen = [0, 0, 0, 0]
        mark(birth)
    }

    /// Where a message with `seq` goes.
    enum Placement: Equatable {
        /// A counter not seen before (ahead of `highest`, or a late one within the window).
        case new(Int64)
        /// More than 128 messages ahead, told by its timestamp: how many rounds of 256 were
        /// lost cannot be known, so it is placed less than one round ahead (the loss is filled
        /// and flagged as that many messages) and the node's sequence is broken.
        case jump(Int64)
        case duplicate
        /// Before the birth, or further back than the window: it cannot be placed.
        case tooOld
    }

    /// Places `seq` (its low 8 bits) relative to the highest counter: up to 128 ahead, else
    /// behind. A message read as behind (or as the highest) is ahead, after more than 128 lost,
    /// when its payload `timestamp` is later than the highest message's by at least half the
    /// time the node takes to send that many messages (its pace since the birth; 10 ms a
    /// message before it has one): a late message or a redelivery was sent earlier, and a
    /// message a step behind that is stamped a little later (clocks and stamps jitter) is not
    /// 255 ahead. The opposite is not inferred: an edge node's clock stepping back would make
    /// every later message look late.
    func place(_ seq: UInt64, timestamp: UInt64? = nil) -> Placement {
        // Sent before a rebirth, delivered after it: its seq belongs to the sequence the rebirth
        // restarted, and read in this one it would take the place of a message still to come.
        if let timestamp, let reborn = rebirthTimestamp, timestamp < reborn { return .tooOld }
        let d = (Int64(seq & 0xFF) - highest) & 0xFF
        if let timestamp, let latest = highestTimestamp, d > 128 || d == 0, timestamp > latest {
            let ahead = d == 0 ? 256 : d
            if Double(timestamp - latest) >= Double(ahead - 1) * messageIntervalMs / 2 { return .jump(highest + ahead) }
        }
        let c = d <= 128 ? highest + d : highest - (256 - d)
        if c < birth || c <= highest - Self.window { return .tooOld }
        return isSeen(c) ? .duplicate : .new(c)
    }

    /// Milliseconds between the node's messages since the birth, by their timestamps; 20 (so
    /// 10 ms a message counts) until two messages after the birth give a pace.
    private var messageIntervalMs: Double {
        guard highest - birth >= 2, let start = birthTimestamp, let latest = highestTimestamp, latest > start else { return 20 }
        return Double(latest - start) / Double(highest - birth)
    }

    /// Records counter `c` (from `place`) as arrived, with its payload timestamp.
    mutating func accept(_ c: Int64, timestamp: UInt64? = nil) {
        if c >= highest, let timestamp { highestTimestamp = Swift.max(highestTimestamp ?? timestamp, timestamp) }
        if c > highest {
            // Positions that now stand for new counters start unseen.
            var n = highest + 1
            while n <= c && n <= highest + Self.window {
                clear(n)
                n += 1
            }
            highest = c
        }
        mark(c)
    }

    /// Whether counter `c` arrived. Counters ahead of `highest` have not; those before the birth
    /// or the window count as arrived (nothing can still come for them).
    func isSeen(_ c: Int64) -> Bool {
        guard c <= highest else { return false }
        guard c > highest - Self.window, c >= birth else { return true }
        return seen[Int((c & 0xFF) >> 6)] & (1 << UInt64(c & 63)) != 0
    }

    private mutating func mark(_ c: Int64) { seen[Int((c & 0xFF) >> 6)] |= 1 << UInt64(c & 63) }
    private mutating func clear(_ c: Int64) { seen[Int((c & 0xFF) >> 6)] &= ~(1 << UInt64(c & 63)) }
}
