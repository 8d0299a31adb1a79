import Foundation

/// The records of a journal's segment files, found by walking their headers: how a test damages
/// a record it picks by its journal seq, as rot or a cut-off write would.
enum SegmentRecords {
    /// Where one record lies in its segment file.
    struct Record {
        let offset: Int
        /// Its length, padding included: the next record starts at `offset + length`.
        let length: Int
        let seq: UInt64
    }

    /// Offers each segment file's bytes and records to `change`, until it returns true: its
    /// bytes are then written back, and this returns true. False when no segment was changed.
    static func change(in directory: String, _ change: (inout [UInt8], [Record]) -> Bool) throws -> Bool {
        for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() where name.hasPrefix("segment-") {
            let url = URL(fileURLWithPath: "\(directory)/\(name)")
            var bytes = [UInt8](try Data(contentsOf: url))
            if change(&bytes, records(in: bytes)) {
                try Data(bytes).write(to: url)
                return true
            }
        }
        return false
    }

    /// The records of one segment file's bytes, up to the first that is not whole.
    static func records(in bytes: [UInt8]) -> [Record] {
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        var out: [Record] = []
        var offset = 64
        while offset + 32 <= bytes.count {
            let length = u32(offset)
            guard length >= 32, offset + length <= bytes.count, u32(offset + 28) == length - 32 else { break }
            let padded = (length + 7) & ~7
            out.append(Record(offset: offset, length: padded, seq: UInt64(u32(offset + 8)) | UInt64(u32(offset + 12)) << 32))
            offset += padded
        }
        return out
    }
}
