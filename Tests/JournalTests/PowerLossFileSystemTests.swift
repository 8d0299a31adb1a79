import Foundation
import Testing
import TestSupport
@testable import Journal

/// The fault-injection layer the daemon uses for power-loss runs, on real files.
@Suite("Power-loss file layer")
struct PowerLossFileSystemTests {
    static func append(_ journal: Journal, _ seqs: ClosedRange<UInt64>) throws {
        for seq in seqs {
            let assigned = try journal.append(type: 1, time: Int64(seq), payload: payload(for: seq))
            #expect(assigned == seq)
        }
    }

    @Test("with fsync interval, what was written but not synced is readable through the layer and gone after the process's memory is")
    func unsyncedWritesDieWithTheProcess() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let layout = try JournalLayout(directory: dir.file("journal"), maxBytes: 1 << 20, segmentCount: 4)
        do {
            let layer = PowerLossFileSystem()
            let journal = try Journal(layout: layout, fsync: .interval, syncIntervalMs: 50, fileSystem: layer)
            try Self.append(journal, 1...100)
            try journal.commit(now: 1_000)  // 50 ms since the last sync: syncs
            #expect(journal.durableSeq == 100)
            try Self.append(journal, 101...150)
            try journal.commit(now: 1_010)  // written, not synced
            #expect(journal.writtenSeq == 150 && journal.durableSeq == 100)
            #expect(layer.unsyncedBytes > 0)
            // Through the layer, the unsynced records read back like any others.
            let (seen, _) = try readAll(layout.directory, layer)
            #expect(seen.map(\.seq) == Array(1...150))
            // The process "dies" here: the layer and its held writes go away unsynced.
        }
        let (records, _) = try readAll(layout.directory, POSIXFileSystem())
        #expect(records.map(\.seq) == Array(1...100))
        #expect(records.allSatisfy { $0.payload == payload(for: $0.seq) })
        let reopened = try Journal(layout: layout, fsync: .interval, fileSystem: POSIXFileSystem())
        #expect(reopened.nextSeq == 101)
    }

    @Test("with fsync always, every committed record survives")
    func alwaysKeepsEverythingCommitted() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let layout = try JournalLayout(directory: dir.file("journal"), maxBytes: 1 << 20, segmentCount: 4)
        do {
            let layer = PowerLossFileSystem()
            let journal = try Journal(layout: layout, fsync: .always, fileSystem: layer)
            for batch in 0..<20 {
                try Self.append(journal, UInt64(batch * 10 + 1)...UInt64(batch * 10 + 10))
                try journal.commit(now: Int64(batch))
            }
            #expect(layer.unsyncedBytes == 0)
            try Self.append(journal, 201...205)  // appended, never committed: may be lost
        }
        let (records, _) = try readAll(layout.directory, POSIXFileSystem())
        #expect(records.map(\.seq) == Array(1...200))
    }

    @Test("an atomically replaced file (checkpoint, snapshot) is whole after its sync and rename")
    func atomicFilesAreSynced() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("engine.snapshot")
        do {
            let layer = PowerLossFileSystem()
            try AtomicFile.write(Array("first".utf8), to: path, fileSystem: layer)
            #expect(try AtomicFile.read(path, fileSystem: layer) == Array("first".utf8))
            #expect(layer.unsyncedBytes == 0)
        }
        #expect(try AtomicFile.read(path, fileSystem: POSIXFileSystem()) == Array("first".utf8))
    }
}
