// Test helper: appends records to a journal with `fsync always` until killed, printing
// "durable <seq>" after each group commit. The payload of every record is derived from its
// seq, so the test can check content after a SIGKILL without sharing memory with this process.
//
// `JournalCrashHelper --try-open DIRECTORY` only opens the journal as a writer and exits:
// 0 ("opened next <seq>"), or 3 ("locked: <message>") when another writer holds it.
import Foundation
import Journal

/// Unbuffered, so nothing reported is still sitting in a buffer when the kill comes.
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
let tryOpen = CommandLine.arguments.count > 2 && CommandLine.arguments[1] == "--try-open"
let directory = CommandLine.arguments[tryOpen ? 2 : 1]
let layout = try JournalLayout(directory: directory, maxBytes: 64 << 20, segmentCount: 8)
if tryOpen {
    do {
        let journal = try Journal(layout: layout, fsync: .always)
        say("opened next \(journal.nextSeq)")
        exit(0)
    } catch let error as JournalError {
        guard case .locked = error else { throw error }
        say("locked: \(error)")
        exit(3)
    }
}
let journal = try Journal(layout: layout, fsync: .always)
say("opened next \(journal.nextSeq)")
var batch = 1
while true {
    for _ in 0..<batch {
        let seq = journal.nextSeq
        let body = Array("record-\(seq)-".utf8) + [UInt8](repeating: UInt8(truncatingIfNeeded: seq), count: Int(seq % 200))
        try journal.append(type: 1, time: Int64(seq), payload: body)
    }
    try journal.commit(now: 0)
    say("durable \(journal.durableSeq)")
    batch = batch % 37 + 1
}
