/// Reads the broker's count of messages it dropped (`Topics.brokerDroppedMessages`, mosquitto's
/// `$SYS`) and tells when it rose. A broker whose limits for the gateway's persistent session
/// are reached while the gateway is down or behind drops readings the gateway never sees. Most
/// show as a skipped seq (a gap, a resend request, a fill), but not the last readings of an
/// epoch before the sensor reboots, nor a silent sensor's last ones it no longer holds: nothing
/// after them reveals them (found in review: one reading lost at a gateway restart, with
/// mosquitto's default `max_queued_messages 1000`). The count is the broker's, for every
/// client: it says that something was dropped and when, the broker's log says for whom.
struct BrokerDropWatch: Equatable, Sendable {
    /// The broker's count when last read (nil: not read yet).
    private(set) var total: UInt64?

    /// What one reading of the count showed.
    struct Rise: Equatable, Sendable {
        /// The broker's count now.
        var total: UInt64
        /// Messages dropped since the last reading (or since the broker started).
        var added: UInt64
        /// The first reading, or one after the broker restarted: `added` counts since it started.
        var sinceBrokerStart: Bool
    }

    /// Takes one `$SYS` message; returns the rise it shows, if the count rose. A count below
    /// the last one is a broker that restarted: its drops since then are the rise. A payload
    /// that is not a count is ignored.
    mutating func observe(_ payload: [UInt8]) -> Rise? {
        guard let value = Self.count(payload) else { return nil }
        defer { total = value }
        guard let last = total, value >= last else { return value > 0 ? Rise(total: value, added: value, sinceBrokerStart: true) : nil }
        return value > last ? Rise(total: value, added: value - last, sinceBrokerStart: false) : nil
    }

    /// The decimal count in a `$SYS` payload (ASCII digits, maybe with spaces around).
    static func count(_ payload: [UInt8]) -> UInt64? {
        let digits = payload.drop { $0 == 0x20 }.prefix { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D }
        guard !digits.isEmpty, digits.count <= 20, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return UInt64(String(decoding: digits, as: UTF8.self))
    }

    /// "the broker dropped N message(s) since it started" (or "since its previous count"), for
    /// the log and `/healthz`.
    static func describe(_ rise: Rise) -> String {
        "the broker dropped \(rise.added) message(s) " + (rise.sinceBrokerStart ? "since it started" : "since its previous count")
            + " (its $SYS count, for every client)"
    }
}
