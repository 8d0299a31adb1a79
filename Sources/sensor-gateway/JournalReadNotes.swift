import Foundation
import Gateway
import Journal

/// The notes on standard error after an offline read of cleaned output (`replay`, `export`):
/// the journal no longer reaches back to the window's start, or damage took records the window
/// may have held (now, or found and mended by a start within the last day). The output stands;
/// the notes say it may be incomplete.
enum JournalReadNotes {
    static func write(_ result: ReplayQuery.Result, dataDirectory: String) {
        let journalDirectory = "\(dataDirectory)/journal"
        if result.reclaimed {
            FileHandle.standardError.write(
                Data("note: the journal no longer holds the start of this window\(result.oldestAvailable.map { " (oldest available ts \($0))" } ?? "")\n".utf8))
        }
        if let first = result.damage.first {
            FileHandle.standardError.write(
                Data(
                    "note: the output may be incomplete: the journal is damaged where this window's readings may lie (\(first)\(result.damage.count > 1 ? " and \(result.damage.count - 1) more" : "")); run `sensor-gateway journal verify`\n"
                        .utf8))
        } else if let verification = try? JournalVerification.run(directory: journalDirectory), let first = verification.problems.first {
            // Damage the read itself cannot see: the newest records lost (a segment deleted or
            // cut at rest, the checkpoint ahead of what is left), found as `journal verify` and
            // the gateway's start find it (found black-box: a replay 621 readings short, no note).
            FileHandle.standardError.write(
                Data(
                    "note: the output may be incomplete: the journal is damaged (\(first)\(verification.problems.count > 1 ? " and \(verification.problems.count - 1) more" : "")), and what it lost may have held readings of this window; run `sensor-gateway journal verify`\n"
                        .utf8))
        } else if let note = JournalDamageHistory.earlierDamageNote(dataDirectory: dataDirectory) {
            // Damage a start found and mended: the journal reads whole now, but the records it
            // took may have held readings of this window, as `/healthz` and `journal verify` say
            // for a day (found black-box, 42nd review: `export` said nothing).
            FileHandle.standardError.write(Data("note: the output may be incomplete: \(note)\n".utf8))
        }
    }
}
