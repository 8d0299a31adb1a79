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

    /// Reads the last `bdSeq` used from `path` (absent or unreadable: the next is 0).
    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
        let text = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        state = Mutex(State(last: text.flatMap { UInt64($0) }.map { $0 & 0xFF }))
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
