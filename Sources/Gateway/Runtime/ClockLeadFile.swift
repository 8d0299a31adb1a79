import Foundation
import Logging

/// How far the journal's timeline ran ahead of the wall clock (`JournalClock.offsetMs`), kept in
/// `<data-dir>/clock-lead` so a restart while the wall clock is still behind the journal goes on
/// from it (`JournalTimeline.resume`): the time the gateway was stopped then counts, and the old
/// step is not reported again. Written at the start and after each step, so rarely. Optional:
/// unreadable or unwritable, it is left out with a warning, and a restart behind the journal
/// starts at the journal's last time, as before.
struct ClockLeadFile {
    let path: String
    let logger: Logger
    /// The lead last written (nil: none yet this run).
    private var written: Int64?

    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    /// The previous run's lead (nil: none kept, or unreadable).
    func read() -> Int64? {
        switch NumberFile.read(path) {
        case .value(let lead): return lead
        case .absent: return nil
        case .unreadable:
            logger.warning("the previous run's clock lead is not a readable number; ignored", metadata: ["path": "\(path)"])
            return nil
        }
    }

    /// Keeps `lead` for the next start when it differs from what was written.
    mutating func keep(_ lead: Int64) {
        guard lead != written else { return }
        do {
            try NumberFile.write(lead, to: path)
            written = lead
        } catch {
            written = lead  // warned once per value, not at every turn
            logger.warning(
                "cannot store how far receive times run ahead of the wall clock; a restart before the wall clock catches up will not count the time stopped",
                metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }
}
