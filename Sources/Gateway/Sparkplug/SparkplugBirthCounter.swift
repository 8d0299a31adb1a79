import Foundation
import Logging
import Synchronization

/// The edge node's `bdSeq` (Sparkplug 3.0 section 6.4.5): one more for every MQTT CONNECT,
/// 0-255 wrapping, kept in a file of the data folder so a restart goes on counting (a host then
/// tells the new session's `NBIRTH` from the old session's `NDEATH`, which the broker may
/// deliver late). The file is optional: when it cannot be written the count goes on in memory,
/// with a warning.
final class SparkplugBirthCounter: Sendable {
    private struct State {
        /// The `bdSeq` of the last CONNECT (nil: none yet in this process).
        var current: UInt64?
        var last: UInt64?
        var warned = false
    }

    private let state: Mutex<State>
    private let path: String
    private let logger: Logger

    /// Reads the last `bdSeq` used from `path`. Absent (a first start): the next is 0. There
    /// but not a readable number 0-255 (damaged, or not a file): a warning, and the next is taken
    /// from the clock's seconds, so an old session's `bdSeq` is unlikely to come back.
    init(path: String, logger: Logger, epochSeconds: Int64 = Clocks.epochMilliseconds() / 1000) {
        self.path = path
        self.logger = logger
        var last: UInt64?
        if FileManager.default.fileExists(atPath: path) {
            let text = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if let text, let n = UInt64(text), n <= 0xFF {
                last = n
            } else {
                let fromClock = UInt64(truncatingIfNeeded: epochSeconds) & 0xFF
                last = fromClock
                logger.warning(
                    "the stored Sparkplug bdSeq is not a readable number 0-255; going on from one taken from the clock",
                    metadata: ["path": "\(path)", "next": "\((fromClock + 1) & 0xFF)"])
            }
        }
        state = Mutex(State(last: last))
    }

    /// The `bdSeq` of the connection about to be made (its will's and its births'), stored.
    func nextForConnect() -> UInt64 {
        let (next, warn) = state.withLock { s -> (UInt64, Bool) in
            let next = s.last.map { ($0 + 1) & 0xFF } ?? 0
            s.last = next
            s.current = next
            return (next, !s.warned)
        }
        do {
            try Data("\(next)\n".utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch  where warn {
            state.withLock { $0.warned = true }
            logger.warning(
                "cannot store the Sparkplug bdSeq; it goes on counting in memory, and a restart starts it at 0 again",
                metadata: ["path": "\(path)", "error": "\(error)"])
        } catch {}
        return next
    }

    /// The `bdSeq` of the latest connection attempt (nil before the first).
    var current: UInt64? { state.withLock { $0.current } }
}
