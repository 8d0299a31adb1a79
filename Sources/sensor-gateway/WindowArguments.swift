import ArgumentParser
import Gateway
import Recovery
import Wire

/// The `--from`/`--to`/`--sensor` checks `replay` and `export` share: one window, one set of
/// words, exit 64 for each mistake (found black-box: `replay --from 5 --to 1` exited 0 where
/// `export` and the MQTT replay refuse it).
enum WindowArguments {
    /// The window `from <= ts < to` in epoch ms; a `ValidationError` naming the flag otherwise.
    static func validated(from: String, to: String, sensor: String?) throws -> (start: Int64, end: Int64) {
        guard let start = Timestamp.parse(from) else { throw ValidationError("--from=\(from): expected epoch ms or RFC 3339") }
        guard let end = Timestamp.parse(to) else { throw ValidationError("--to=\(to): expected epoch ms or RFC 3339") }
        guard start < end else { throw ValidationError("--from=\(from) --to=\(to): from must be before to") }
        if let sensor, !SensorID.isValid(sensor) { throw ValidationError("--sensor=\(sensor): not a valid sensor id") }
        return (start, end)
    }
}
