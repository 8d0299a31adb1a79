import Logging
import Recovery

/// Logs sensors' lifecycle at notice: admitted (new, or back after being forgotten), stale,
/// live again, forgotten, or closed because its measurement was removed from the
/// configuration. At most `perMinute` lines a minute, so a flood of ids cannot flood the log:
/// what is left out is counted in one line when the minute is over. Admissions have a budget of
/// their own: at a fleet's start they came every turn and used up the minute's lines, so a
/// sensor going stale then was only counted, not named (found black-box, 87th review).
struct SensorEventLog {
    private var budget: MinuteLogBudget
    private var admissions: MinuteLogBudget

    init(logger: Logger) {
        budget = MinuteLogBudget(logger: logger, kind: "sensor events")
        admissions = MinuteLogBudget(logger: logger, kind: "sensor admissions")
    }

    /// Logs the sensor-state notices among `publications` (monotonic `now`, ms). `declares`:
    /// whether the engine's settings still declare a measurement (besides temperature). An
    /// `expired` stream of one they do not was closed by its removal (a SIGHUP or restart
    /// without it), not forgotten for silence (found black-box: logged as forgotten).
    mutating func note(_ publications: ArraySlice<Publication>, now: Int64, declares: (String) -> Bool = { _ in true }) {
        for p in publications where p.kind == .sensorState {
            guard let state = Self.state(in: p.payload) else { continue }
            // gateway/<gw>/sensors/<id>, or gateway/<gw>/sensors/<id>/<measurement>.
            let levels = p.topic.split(separator: "/", omittingEmptySubsequences: false)
            let sensor = levels.count > 3 ? String(levels[3]) : String(levels.last ?? "")
            let measurement = levels.count > 4 ? String(levels[4]) : nil
            let message: Logger.Message
            switch state {
            case "stale": message = "sensor stale: silent longer than its usual rhythm"
            case "live": message = "sensor live again"
            case "expired" where measurement.map(declares) == false:
                message = "sensor stream closed: its measurement was removed from the configuration"
            case "expired": message = "sensor forgotten (silent for sensor-retention-s, or evicted at max-sensors)"
            default: continue
            }
            var metadata: Logger.Metadata = ["sensor": "\(sensor)"]
            if let measurement { metadata["measurement"] = "\(measurement)" }
            emit(message, metadata, now: now)
        }
    }

    /// Logs that `count` sensors were admitted this turn (`tracked` now).
    mutating func admitted(_ count: Int, tracked: Int, now: Int64) {
        guard count > 0 else { return }
        admissions.notice("sensors admitted", ["count": "\(count)", "tracked": "\(tracked)"], now: now)
    }

    /// Ends the minute once it is over, logging how many events it left out (`MinuteLogBudget`).
    mutating func endMinuteIfOver(now: Int64) {
        budget.endMinuteIfOver(now: now)
        admissions.endMinuteIfOver(now: now)
    }

    private mutating func emit(_ message: Logger.Message, _ metadata: Logger.Metadata, now: Int64) {
        budget.notice(message, metadata, now: now)
    }

    /// The `state` of a sensor-state payload (`{"state":"stale",...}`).
    static func state(in payload: [UInt8]) -> String? {
        let prefix = Array("{\"state\":\"".utf8)
        guard payload.starts(with: prefix) else { return nil }
        let rest = payload.dropFirst(prefix.count)
        guard let end = rest.firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return String(decoding: rest[..<end], as: UTF8.self)
    }
}
