/// Where a journal's files live and how big they are. The geometry is fixed when the journal is
/// created (recorded in `journal.meta`); reopening with another size is refused with a clear
/// error rather than silently discarding data.
public struct JournalLayout: Sendable, Equatable {
    public var directory: String
    public var segmentCount: Int
    public var segmentSize: Int

    public static let minimumSegmentSize = 4096

    /// Splits `maxBytes` into `segmentCount` equal segments (a multiple of 4 KiB each).
    public init(directory: String, maxBytes: Int, segmentCount: Int = 16) throws {
        let size = (maxBytes / max(segmentCount, 1)) & ~4095
        guard segmentCount >= 2, size >= JournalLayout.minimumSegmentSize else {
            throw JournalError.invalidConfiguration(
                "journal_max_bytes \(maxBytes) is too small for \(segmentCount) segments of at least \(JournalLayout.minimumSegmentSize) bytes")
        }
        self.directory = directory
        self.segmentCount = segmentCount
        segmentSize = size
    }

    init(directory: String, segmentCount: Int, segmentSize: Int) {
        self.directory = directory
        self.segmentCount = segmentCount
        self.segmentSize = segmentSize
    }

    func segmentPath(_ i: Int) -> String {
        let n = String(i)
        return "\(directory)/segment-\(String(repeating: "0", count: max(0, 4 - n.count)))\(n).log"
    }

    /// The largest payload one record can carry in this layout.
    public var maxRecordPayload: Int { RecordFormat.maxPayload(segmentSize: segmentSize) }

    /// The file that records the journal's geometry (written once, when the journal is made).
    public var metaPath: String { "\(directory)/journal.meta" }
    var checkpointPath: String { "\(directory)/checkpoint" }

    var metaText: String { "segments=\(segmentCount)\nsegment_size=\(segmentSize)\n" }

    /// Reads the geometry a journal directory was created with, if any.
    static func stored(in directory: String, fileSystem: FileSystem) throws -> JournalLayout? {
        let bytes: [UInt8]?
        do { bytes = try AtomicFile.read("\(directory)/journal.meta", fileSystem: fileSystem) } catch let e as FileSystemError { throw JournalError.io(e) }
        guard let bytes else { return nil }
        var values: [String: Int] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let v = Int(parts[1]) { values[String(parts[0])] = v }
        }
        guard let count = values["segments"], let size = values["segment_size"], count >= 2, size >= minimumSegmentSize else {
            throw JournalError.invalidConfiguration("\(directory)/journal.meta is unreadable; move the journal aside to start a new one")
        }
        return JournalLayout(directory: directory, segmentCount: count, segmentSize: size)
    }
}
