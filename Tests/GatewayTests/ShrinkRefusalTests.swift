import Foundation
import Journal
import Testing
import TestSupport

@testable import Gateway
@testable import Recovery

/// A shrink the unfinished work does not fit in is a setting to change, not a fault a restart
/// cures (found black-box: `run` exited 74, which the unit restarts on, for ever).
@Suite("A journal shrink below its unfinished work")
struct ShrinkRefusalTests {
    @Test("run refuses it with exit 78, as config check does, naming the size; the journal is left whole")
    func shrinkBelowUnfinishedWork() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // 2 MiB of input no checkpoint or snapshot covers: all of it unfinished.
        let layout = try UnfinishedJournal.write(in: dir, maxBytes: 4 << 20, records: 2048)
        let config = dir.file("gateway.conf")
        try "data-dir: \(dir.file("data"))\njournal-max-bytes: 1MiB\nhttp: off\n".write(toFile: config, atomically: true, encoding: .utf8)
        let (checked, checkOutput) = try await GatewayProcess.runTool(["config", "check", "--config", config], logPath: dir.file("check.log"))
        #expect(checked == 78, "\(checkOutput)")
        #expect(checkOutput.contains("run will refuse to start"), "\(checkOutput)")
        let (ran, runOutput) = try await GatewayProcess.runTool(["run", "--config", config], logPath: dir.file("run.log"))
        #expect(ran == 78, "\(runOutput)")
        #expect(runOutput.contains("journal-max-bytes"), "\(runOutput)")
        // Nothing was dropped: the journal opens at its old size with every record.
        let reopened = try Journal(layout: layout, fsync: .never)
        #expect(reopened.report.records == 2048)
    }
}

/// A shrink refused even for the unacknowledged records names all the unfinished work, the input
/// the engine snapshot still needs included (found black-box: the smallest size named 5,629
/// records, the next sizes 48,056, so an operator who followed the first figure was refused again).
@Suite("What a refused shrink keeps")
struct ShrinkRefusalKeepTests {
    @Test("the snapshot's needs count when the shrink is refused, as when it is done")
    func refusalKeepsFromTheSnapshot() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let layout = try UnfinishedJournal.write(in: dir, maxBytes: 4 << 20, records: 2048)
        do {
            let journal = try Journal(layout: layout, fsync: .never)
            try journal.storeCheckpoint(500)
        }
        let snapshot = EngineSnapshot(
            inputFrom: 100, publicationsThrough: 99, engine: RecoveryEngine(configuration: EngineConfiguration()), pending: [])
        // 1 MiB cannot hold even what follows the checkpoint; 3 MiB holds that, not the snapshot's needs.
        for maxBytes in [1 << 20, 3 << 20] {
            let target = try JournalLayout(directory: layout.directory, maxBytes: maxBytes)
            #expect(JournalOpening.keepFrom(target, snapshot: { snapshot }) == 100, "at \(maxBytes) bytes")
        }
    }
}
