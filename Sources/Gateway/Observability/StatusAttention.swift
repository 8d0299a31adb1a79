import Recovery

/// Where a sensor's row goes on the status page: what needs an operator *now* comes first, not
/// what has been troublesome over the sensor's lifetime (at 5,000 sensors ordinary noise, a
/// correction a day each, filled the top rows when sorted by lifetime counts).
///
/// The order of the cases is the page's order; rows in the same class are ordered by sensor id,
/// and a sensor's measurements are kept together under its most urgent class (`pageOrder`).
enum Attention: Int, Comparable, CaseIterable, Sendable {
    /// Silent past its stale time (`stale-factor` periods): a resend of everything after its
    /// last seq was asked for.
    case stale
    /// An open gap: readings held behind missing seqs that a resend was asked for, filled if
    /// they do not come within the reorder window.
    case waiting
    /// Tracked for its messages, but every one of them was dead-lettered: no reading of it was
    /// ever accepted (firmware sending the wrong format, a clock far ahead). It was "live", at
    /// the bottom of the page, with its first message's time as its last reading's.
    case rejected
    /// Published a `corrected`, `synthetic`, `gap` or `restated` message within the last
    /// `recentWindowMs` (receive time, on the same clock as the sensor's last reading).
    case flagged
    /// Live and nothing flagged recently.
    case fine

    /// How long one flagged publication keeps a sensor in `.flagged`: 10 minutes, long enough to
    /// be seen on a page refreshed every 5 s by someone who looks now and then, short enough
    /// that a sensor drops back once it behaves.
    static let recentWindowMs: Int64 = 10 * 60_000

    /// The class of `sensor` at `now` (epoch ms on the journal's timeline, as `lastSeen`).
    init(_ sensor: SensorSummary, now: Int64) {
        if sensor.stale {
            self = .stale
        } else if sensor.missing != nil {
            self = .waiting
        } else if sensor.lastSeq == nil && sensor.deadLetters > 0 && sensor.output == .init() {
            self = .rejected
        } else if let flagged = sensor.lastFlagged, now - flagged.at <= Self.recentWindowMs {
            self = .flagged
        } else {
            self = .fine
        }
    }

    static func < (a: Attention, b: Attention) -> Bool { a.rawValue < b.rawValue }

    /// `rows` in the page's order: a sensor's streams (its measurements) together, sensors by the
    /// most urgent class among their streams and then by id, and within a sensor temperature
    /// first, then the other measurements by name.
    static func pageOrder(_ rows: [(Attention, SensorSummary)]) -> [(Attention, SensorSummary)] {
        var urgent: [String: Attention] = [:]
        for (attention, sensor) in rows { urgent[sensor.sensorID] = min(urgent[sensor.sensorID] ?? attention, attention) }
        return rows.sorted { a, b in
            let (ga, gb) = (urgent[a.1.sensorID] ?? a.0, urgent[b.1.sensorID] ?? b.0)
            if ga != gb { return ga < gb }
            if a.1.sensorID != b.1.sensorID { return a.1.sensorID < b.1.sensorID }
            return (a.1.measurement ?? "") < (b.1.measurement ?? "")
        }
    }

    /// How the page's summary line names the class.
    var heading: String {
        switch self {
        case .stale: "stale"
        case .waiting: "waiting for missing readings"
        case .rejected: "sending only input that is dead-lettered"
        case .flagged: "with flagged readings in the last \(Self.recentWindowMs / 60_000) min"
        case .fine: "fine"
        }
    }

    /// The value of `show=` that lists only this class.
    var queryValue: String {
        switch self {
        case .stale: "stale"
        case .waiting: "waiting"
        case .rejected: "rejected"
        case .flagged: "flagged"
        case .fine: "fine"
        }
    }
}
