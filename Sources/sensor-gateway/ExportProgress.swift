import Foundation
import Gateway

/// The export's progress on standard error, only when that is a terminal: a count while the
/// first pass indexes restatements, then a bar with the share of messages read. Redrawn at most
/// ten times a second; cleared at the end. In a pipe or a file it writes nothing.
struct ExportProgress {
    private let enabled = isatty(STDERR_FILENO) == 1
    private var lastDraw: ContinuousClock.Instant?
    private var drawn = false

    mutating func update(_ p: ExportQuery.Progress) {
        guard enabled else { return }
        let now = ContinuousClock.now
        if let lastDraw, now - lastDraw < .milliseconds(100) { return }
        lastDraw = now
        let line: String
        if let total = p.total, total > 0 {
            let share = min(1, Double(p.read) / Double(total))
            let width = 30
            let filled = Int(share * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
            line = "export [\(bar)] \(Int(share * 100))%  \(p.written) rows"
        } else {
            line = "export: reading the journal, \(p.read) messages"
        }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
        drawn = true
    }

    /// Clears the line, so what follows on the terminal starts clean.
    func finish() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
