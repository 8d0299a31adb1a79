import Foundation
import Logging

/// The last start that found journal damage, kept in `<data-dir>/journal-damage`, so the damage
/// stays on `/healthz` (degraded), in `sensor_gateway_journal_corruption` and in its alert for a
/// day, across restarts: the start that finds damage mends what it can, and a restart soon after
/// found nothing left to report (found black-box: killed a second after a damaged start, the next
/// start said ok, `journal verify` said clean, and an alert scraping every 15 s never saw the
/// second of `degraded`). Optional: unreadable or unwritable, it is left out with a warning.
enum JournalDamageHistory {
    /// How long damage a start found stays shown by the starts after it.
    static let shownForMs: Int64 = 24 * 3600 * 1000

    /// What this start shows: `found` when it found damage (stored for the next starts), else
    /// the damage an earlier start found within `shownForMs` (one line naming when), else none;
    /// with when the start that found it began (now, or the earlier one's time).
    static func exchange(path: String, found: [String], now: Int64, logger: Logger) -> (shown: [String], foundAt: Int64?) {
        if let first = found.first {
            do {
                let line = "\(now)\t\(found.count)\t\(first.replacingOccurrences(of: "\n", with: " "))\n"
                try Data(line.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                logger.warning(
                    "cannot store that this start found journal damage; a restart will not show it again",
                    metadata: ["path": "\(path)", "error": "\(error)"])
            }
            return (found, now)
        }
        guard let data = FileManager.default.contents(atPath: path) else { return ([], nil) }
        let fields = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: "\t", maxSplits: 2).map(String.init)
        guard fields.count == 3, let at = Int64(fields[0]), let count = Int(fields[1]) else {
            logger.warning("the record of earlier journal damage is not readable; ignored", metadata: ["path": "\(path)"])
            return ([], nil)
        }
        // Past its day, or stamped ahead of a clock stepped back: shown no more.
        guard now >= at, now - at < shownForMs else { return ([], nil) }
        let when = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(at) / 1000))
        let shown =
            "found by an earlier start at \(when) (\(count) problem(s), first: \(fields[2])), shown until a day after it; "
            + "this start found the journal whole: what could be mended was"
        logger.warning("journal damage an earlier start found is still shown", metadata: ["damage": "\(shown)"])
        return ([shown], at)
    }
}
