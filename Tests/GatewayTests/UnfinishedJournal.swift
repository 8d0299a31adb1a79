import Journal
import TestSupport

/// A data folder whose journal holds `records` input records of 1,000 bytes that no checkpoint
/// or snapshot covers (all unfinished work), as a stopped gateway leaves it: for the tests of
/// what `run`, `config check` and the offline tools make of such a folder.
enum UnfinishedJournal {
    @discardableResult
    static func write(in dir: TemporaryDirectory, maxBytes: Int, segmentCount: Int? = nil, records: Int) throws -> JournalLayout {
        let layout =
            try segmentCount.map { try JournalLayout(directory: dir.file("data/journal"), maxBytes: maxBytes, segmentCount: $0) }
            ?? JournalLayout(directory: dir.file("data/journal"), maxBytes: maxBytes)
        let journal = try Journal(layout: layout, fsync: .never)
        for seq in 1...records { try journal.append(type: 1, time: Int64(seq), payload: [UInt8](repeating: 7, count: 1000)) }
        try journal.sync()
        return layout
    }
}
