import Foundation
@testable import Journal

/// The payload every test writes for a seq, so content can be checked without keeping copies.
func payload(for seq: UInt64, salt: UInt64 = 0) -> [UInt8] {
    let length = Int((seq &* 7919 &+ salt) % 150) + 1
    return (0..<length).map { UInt8(truncatingIfNeeded: seq &* 31 &+ UInt64($0) &+ salt) }
}

func readAll(_ directory: String, _ fs: FileSystem, from: UInt64? = nil) throws -> (records: [JournalRecord], outcome: JournalReader.Outcome) {
    let reader = try JournalReader(directory: directory, fileSystem: fs)
    var records: [JournalRecord] = []
    let outcome = try reader.read(fromSeq: from) {
        records.append($0); return true
    }
    return (records, outcome)
}

extension JournalLayout {
    static func tiny(_ directory: String = "/j", segments: Int = 4, segmentSize: Int = 4096) -> JournalLayout {
        try! JournalLayout(directory: directory, maxBytes: segments * segmentSize, segmentCount: segments)
    }
}
