import Foundation
import Gateway

/// The notes on standard error after an offline read of cleaned output (`replay`, `export`):
/// the journal no longer reaches back to the window's start, or damage took records the window
/// may have held. The output stands; the notes say it may be incomplete.
enum JournalReadNotes {
    static func write(_ result: ReplayQuery.Result) {
        if result.reclaimed {
            FileHandle.standardError.write(
                Data("note: the journal no longer holds the start of this window\(result.oldestAvailable.map { " (oldest available ts \($0))" } ?? "")\n".utf8))
        }
        if let first = result.damage.first {
            FileHandle.standardError.write(
                Data(
                    "note: the output may be incomplete: the journal is damaged where this window's readings may lie (\(first)\(result.damage.count > 1 ? " and \(result.damage.count - 1) more" : "")); run `sensor-gateway journal verify`\n"
                        .utf8))
        }
    }
}
