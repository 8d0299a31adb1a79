/// One sensor's aggregate over one window on `aggregates/<sensor_id>/temperature/<window>`
/// (docs/INTERFACE.md section 4), re-published with `revision` + 1 when late data changes it.
public struct AggregateWindowMessage: Codable, Sendable, Equatable {
    public var sensorID: String
    public var windowStart: Int64
    public var windowEnd: Int64
    public var count: Int
    public var min: Double?
    public var max: Double?
    public var mean: Double?
    /// Readings per quality (a restated reading counts as `ok`).
    public var ok: Int
    public var corrected: Int
    public var synthetic: Int
    public var revision: Int
    /// true on a window sent after a restart that found journal damage, when it began before
    /// that restart: its figures come from the readings the journal kept, and may be fewer than
    /// those of the message at the same `revision` sent before (docs/CONSUMERS.md). Absent
    /// otherwise.
    public var journalDamaged: Bool?

    enum CodingKeys: String, CodingKey {
        case sensorID = "sensor_id", windowStart = "window_start", windowEnd = "window_end"
        case count, min, max, mean, ok, corrected, synthetic, revision
        case journalDamaged = "journal_damaged"
    }

    /// `payload`, an aggregate message as the engine makes it, with `"journal_damaged":true`
    /// added when its window began before `restart` (a restart that found journal damage); as it
    /// is otherwise, and when it is not such a message.
    public static func flaggingJournalDamage(_ payload: [UInt8], windowsBefore restart: Int64?) -> [UInt8] {
        guard let restart, payload.last == UInt8(ascii: "}"),
            let m = try? WireJSON.decode(AggregateWindowMessage.self, from: payload), m.windowStart < restart, m.journalDamaged == nil
        else { return payload }
        return payload.dropLast() + Array(",\"journal_damaged\":true}".utf8)
    }
}
