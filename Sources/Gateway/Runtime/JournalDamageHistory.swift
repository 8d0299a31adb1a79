import Foundation
import Logging

/// The last start that found journal damage, kept in `<data-dir>/journal-damage`, so the damage
/// stays on `/healthz` (degraded), in `sensor_gateway_journal_corruption` and in its alert for a
/// day, across restarts: the start that finds damage mends what it can, and a restart soon after
/// found nothing left to report (found black-box: killed a second after a damaged start, the next
/// start said ok, `journal verify` said clean, and an alert scraping every 15 s never saw the
/// second of `degraded`). Optional: unreadable or unwritable, it is left out with a warning.
public enum JournalDamageHistory {
    /// How long damage a start found stays shown by the starts after it.
    static let shownForMs: Int64 = 24 * 3600 * 1000

    /// What this start shows: `found` when it found damage (stored for the next starts), else
    /// the damage an earlier start found within `shownForMs` (one line naming when), else none;
    /// with the time before which aggregate windows go out flagged `journal_damaged`: the later
    /// of that start's clock and `newestReadingTs`, the newest reading `ts` it restored or read
    /// in the broker's retained `latest/` (a window counted before the damage began before both;
    /// the gateway's clock alone misses one when it runs behind the sensors', as after a backward
    /// step: found by the fault simulator, measurement worlds seed 4,802,348, the clock 18
    /// minutes behind).
    /// `now`: the journal's timeline (`JournalClock`), which a backward step of the wall clock
    /// does not move back.
    static func exchange(
        path: String, found: [String], now: Int64, newestReadingTs: Int64? = nil, logger: Logger
    ) -> (shown: [String], flagWindowsBefore: Int64?) {
        if let first = found.first {
            let before = max(now, newestReadingTs ?? now)
            do {
                let line = "\(now)\t\(found.count)\t\(before)\t\(first.replacingOccurrences(of: "\n", with: " "))\n"
                try Data(line.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                logger.warning(
                    "cannot store that this start found journal damage; a restart will not show it again",
                    metadata: ["path": "\(path)", "error": "\(error)"])
            }
            return (found, before)
        }
        guard FileManager.default.fileExists(atPath: path) else { return ([], nil) }
        guard let record = recorded(path: path) else {
            logger.warning("the record of earlier journal damage is not readable; ignored", metadata: ["path": "\(path)"])
            return ([], nil)
        }
        // Past its day, or stamped ahead of `now` (the journal's timeline, which does not go back
        // with the wall clock, so only a record from another journal's time): shown no more.
        guard now >= record.at, now - record.at < shownForMs else { return ([], nil) }
        let shown =
            "found by an earlier start at \(Self.time(record.at)) (\(record.count) problem(s), first: \(record.first)), shown until a day after it; "
            + "this start found the journal whole: what could be mended was"
        logger.warning("journal damage an earlier start found is still shown", metadata: ["damage": "\(shown)"])
        return ([shown], record.flagWindowsBefore)
    }

    /// For `journal verify`, which checks the journal as it is now: damage a start found and
    /// mended within the last day (the records it took are gone, and the journal reads whole), as
    /// `/healthz` still shows it (found black-box, 42nd review: `verify` said `corruption: none`
    /// while `/healthz` said degraded). nil when there is none, or its record is unreadable.
    /// `now` is the wall clock, moved on by the lead the gateway last kept (`ClockLeadFile`), so
    /// it reads the journal's timeline as the gateway does after a backward step.
    public static func earlierDamageNote(dataDirectory: String, now wall: Int64 = Int64((Date().timeIntervalSince1970 * 1000).rounded())) -> String? {
        let now = wall - min(0, NumberFile.value("\(dataDirectory)/clock-lead") ?? 0)
        guard let record = recorded(path: "\(dataDirectory)/journal-damage"), now >= record.at, now - record.at < shownForMs else { return nil }
        if record.count == 1, record.first.hasPrefix(JournalRestore.outputAheadLead) {
            // Not damage to the journal: nothing was taken from it (93rd review).
            return "a start at \(time(record.at)) found the published output past this journal (\(record.first)); "
                + "the journal itself was whole (the gateway shows it until a day after)"
        }
        return "a start at \(time(record.at)) found journal damage (\(record.count) problem(s), first: \(record.first)) and mended what it could; "
            + "the records it took are gone (the gateway shows it until a day after)"
    }

    /// The stored record: when the start that found damage began, how many problems, the time
    /// before which windows are flagged (records written before 2026-12-07 have none: their
    /// start's time), the first problem.
    private static func recorded(path: String) -> (at: Int64, count: Int, flagWindowsBefore: Int64, first: String)? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let fields = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: "\t", maxSplits: 3).map(String.init)
        guard fields.count >= 3, let at = Int64(fields[0]), let count = Int(fields[1]) else { return nil }
        if fields.count == 4, let before = Int64(fields[2]) { return (at, count, before, fields[3]) }
        return (at, count, at, fields[2...].joined(separator: "\t"))
    }

    private static func time(_ ms: Int64) -> String { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(ms) / 1000)) }
}
