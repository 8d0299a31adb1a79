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
    /// At `c % 256`: a fingerprint of the message that arrived at counter `c` (its topic and its
    /// metrics' names, aliases, values and qualities, not its times), 0 where none is known: a
    /// second message under a counter that arrived is a copy only when they agree. nil until a
    /// message gives one (and in older snapshots: nothing known).
    private var prints: [UInt32]?
    /// The payload timestamps of the messages placed 128 or more behind `highest` (so by their
    /// timestamps, `place`), by counter, within the window: the same message again (its stamp,
    /// saying the same) is a duplicate of it, not a message ahead. Only those: where a message
    /// arrived in order, one whose stamp points there is ahead (an edge node whose clock went
    /// back, sending the same values again). nil while none (and in older snapshots).
    private var placedLate: [Int64: UInt64]?
    /// The longest time between two messages in a row (each one counter after the one before)
    /// since the birth: with the mean pace it says whether the node sends at a steady pace, so a
    /// long silence after it means lost messages rather than nothing to report. nil: none yet
    /// (and in older snapshots).
    private var longestStepMs: UInt64?

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
        /// Counter `c` arrived already: a copy of that message, or another one under its seq
        /// (`isCopy`).
        case duplicate(Int64)
        /// Before the birth, or further back than the window: it cannot be placed.
        case tooOld
        /// Read as ahead by its seq but stamped before the birth, which the node's later
        /// messages show is of their clock, or stamped before a rebirth in the session: too old
        /// as well, unless the node's clock went back past its birth (a rebirth restarts the
        /// sequence at its new time).
        case stampedBeforeBirth
    }

    /// Places `seq` (its low 8 bits) relative to the highest counter: up to 128 ahead, else
    /// behind (up to 127 by the seq alone). The payload `timestamp` settles what the 8-bit seq
    /// cannot, each way by at least half the time the node takes to send the messages in
    /// question (its pace since the birth; 10 ms a message before it has one), so clocks and
    /// stamps that jitter move nothing:
    /// - read as behind (or as the highest), it is ahead after more than 128 lost when it is
    ///   stamped later than the highest message by that much for the messages it would be ahead;
    ///   a message a step behind, or the same seq again, stamped a little later is late or a
    ///   duplicate, not 255 ahead;
    /// - read as ahead, it is 128-255 behind (a late message, a redelivery) when it is stamped
    ///   earlier than the highest message by that much for the messages it would be behind
    ///   (found black-box: message 100 arriving 160 late, its seq read as 96 ahead, took 95
    ///   fills stamped backwards and came out as new data in the past), and that place can take
    ///   it: a message missing there (it is that one), or one placed there in this way that
    ///   said the same with the same stamp (`print`: a copy of it). Stamped before the birth,
    ///   where a message of this birth's can be told stamped after it, it is too old. Otherwise
    ///   it is ahead, as its seq says: an edge node whose clock stepped back (or one message
    ///   stamped far ahead) must not have its next messages taken for old ones, which would hold
    ///   its data back until its clock caught up.
    func place(_ seq: UInt64, timestamp: UInt64? = nil, print: UInt32 = 0) -> Placement {
        // Sent before a rebirth, delivered after it: its seq belongs to the sequence the rebirth
        // restarted, and read in this one it would take the place of a message still to come.
        // Or the node's clock went back after the rebirth: all it sends is stamped before it
        // until another rebirth restarts the sequence at its new time (found black-box, 72nd
        // review), so this is told as a message stamped before the birth, which asks for one.
        if let timestamp, let reborn = rebirthTimestamp, timestamp < reborn { return .stampedBeforeBirth }
        let d = (Int64(seq & 0xFF) - highest) & 0xFF
        // Read as up to 128 ahead, from a node with a steady pace, stamped later than the
        // highest message by at least half the time it takes to send 256 more: a whole round of
        // 256 went too (found black-box, 46th review: 300 messages lost at QoS 0 across a
        // restart came out as 44 fills, and 256 readings went without a word).
        if let timestamp, let latest = highestTimestamp, d >= 1 && d <= 128, timestamp > latest, sendsSteadily,
            Double(timestamp - latest) >= Double(256 + d - 1) * messageIntervalMs / 2
        {
            return .jump(highest + d)
        }
        if let timestamp, let latest = highestTimestamp, d > 128 || d == 0, timestamp > latest {
            let ahead = d == 0 ? 256 : d
            if Double(timestamp - latest) >= Double(ahead - 1) * messageIntervalMs / 2 { return .jump(highest + ahead) }
        }
        if let timestamp, let latest = highestTimestamp, d >= 1 && d <= 128, timestamp < latest {
            let behind = 256 - d
            if Double(latest - timestamp) >= Double(behind - 1) * messageIntervalMs / 2 {
                let c = highest - behind
                if c >= birth {
                    if !isSeen(c) { return .new(c) }
                    if placedLate?[c] == timestamp && isCopy(at: c, print: print) { return .duplicate(c) }
                } else if let born = birthTimestamp, latest > born, timestamp < born {
                    return .stampedBeforeBirth
                }
            }
        }
        let c = d <= 128 ? highest + d : highest - (256 - d)
        if c < birth || c <= highest - Self.window { return .tooOld }
        return isSeen(c) ? .duplicate(c) : .new(c)
    }

    /// Whether the node has sent at a steady pace since its birth: 16 messages or more, none
    /// more than 4 times the mean interval after the one before. A node that reports by
    /// exception has no steady pace: a silence says nothing about how many messages it sent.
    private var sendsSteadily: Bool {
        guard highest - birth >= 16, let longest = longestStepMs else { return false }
        return Double(longest) <= 4 * messageIntervalMs
    }

    /// Milliseconds between the node's messages since the birth, by their timestamps; 20 (so
    /// 10 ms a message counts) until two messages after the birth give a pace.
    private var messageIntervalMs: Double {
        guard highest - birth >= 2, let start = birthTimestamp, let latest = highestTimestamp, latest > start else { return 20 }
        return Double(latest - start) / Double(highest - birth)
    }

    /// Records counter `c` (from `place`) as arrived, with its payload timestamp and its
    /// fingerprint (`isCopy`; 0: none).
    mutating func accept(_ c: Int64, timestamp: UInt64? = nil, print: UInt32 = 0) {
        if c == highest + 1, let timestamp, let latest = highestTimestamp, timestamp >= latest {
            longestStepMs = Swift.max(longestStepMs ?? 0, timestamp - latest)
        }
        if c >= highest, let timestamp { highestTimestamp = Swift.max(highestTimestamp ?? timestamp, timestamp) }
        if c > highest {
            // Positions that now stand for new counters start unseen.
            var n = highest + 1
            while n <= c && n <= highest + Self.window {
                clear(n)
                n += 1
            }
            highest = c
            if placedLate != nil {
                placedLate = placedLate?.filter { $0.key > c - Self.window }
                if placedLate?.isEmpty ?? false { placedLate = nil }
            }
        }
        mark(c)
        if c <= highest - 128, let timestamp {
            if placedLate == nil { placedLate = [:] }
            placedLate?[c] = timestamp
        }
        if print != 0 && prints == nil { prints = Array(repeating: 0, count: Int(Self.window)) }
        prints?[Int(c & 0xFF)] = print
    }

    /// Whether a message with fingerprint `print` is a copy of the one that arrived at counter
    /// `c` (a `duplicate`): true when they agree, or when that one's is not known (a birth, a
    /// position that counts as arrived, an older snapshot).
    func isCopy(at c: Int64, print: UInt32) -> Bool {
        guard let prints, isSeen(c), c > highest - Self.window, c >= birth else { return true }
        let known = prints[Int(c & 0xFF)]
        return known == 0 || known == print
    }

    /// Whether counter `c` arrived. Counters ahead of `highest` have not; those before the birth
    /// or the window count as arrived (nothing can still come for them).
    func isSeen(_ c: Int64) -> Bool {
        guard c <= highest else { return false }
        guard c > highest - Self.window, c >= birth else { return true }
        return seen[Int((c & 0xFF) >> 6)] & (1 << UInt64(c & 63)) != 0
    }

    private mutating func mark(_ c: Int64) { seen[Int((c & 0xFF) >> 6)] |= 1 << UInt64(c & 63) }
    private mutating func clear(_ c: Int64) {
        seen[Int((c & 0xFF) >> 6)] &= ~(1 << UInt64(c & 63))
        prints?[Int(c & 0xFF)] = 0
    }
}
