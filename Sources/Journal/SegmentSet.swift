/// The segment files of a journal directory, opened, with their headers, oldest first.
/// Shared by the writer's recovery, readers and `journal verify`.
struct SegmentSet {
    struct Entry {
        var index: Int
        var handle: Int32
        var header: SegmentHeader
    }

    let layout: JournalLayout
    let fileSystem: FileSystem
    /// Handles by file index (every segment file, used or not).
    var handles: [Int32] = []
    /// Used segments ordered by generation (oldest first).
    var used: [Entry] = []
    /// What was wrong with the files themselves (missing, wrong size, extra).
    var problems: [String] = []

    /// Opens every segment. With `repair`, missing or mis-sized files are recreated (their
    /// contents could not be trusted anyway) and reported; without it they are only reported.
    init(layout: JournalLayout, fileSystem: FileSystem, repair: Bool) throws {
        self.layout = layout
        self.fileSystem = fileSystem
        let expected = Set((0..<layout.segmentCount).map { layout.segmentPath($0).split(separator: "/").last.map(String.init)! })
        for name in try fileSystem.list(layout.directory) where name.hasPrefix("segment-") && !expected.contains(name) {
            problems.append("unexpected file \(name) ignored")
        }
        for i in 0..<layout.segmentCount {
            let path = layout.segmentPath(i)
            let exists = fileSystem.exists(path)
            if !exists && !repair {
                problems.append("segment file \(path) is missing")
                handles.append(-1)
                continue
            }
            // Readers (replay, verify) never write: open read-only so they work on read-only media.
            let h = repair ? try fileSystem.open(path, create: true) : try fileSystem.openForReading(path)
            let size = try fileSystem.size(h)
            if size != layout.segmentSize {
                if exists { problems.append("segment file \(path) had \(size) bytes, expected \(layout.segmentSize)\(repair ? "; recreated" : "")") }
                if repair {
                    try fileSystem.truncate(h, size: 0)
                    try fileSystem.allocate(h, size: layout.segmentSize)
                }
            }
            handles.append(h)
            let raw = try fileSystem.read(h, count: SegmentHeader.size, at: 0)
            if let header = SegmentHeader.decode(raw), header.generation > 0, header.segmentSize == UInt64(layout.segmentSize) {
                used.append(Entry(index: i, handle: h, header: header))
            } else if !raw.allSatisfy({ $0 == 0 }) && raw.count == SegmentHeader.size {
                problems.append("segment file \(path) has a damaged header; its records are unreadable")
            }
        }
        if repair {
            try fileSystem.syncDirectory(layout.directory)
        }
        used.sort { $0.header.generation < $1.header.generation }
    }

    func scanner(_ e: Entry) -> SegmentScanner {
        SegmentScanner(fileSystem: fileSystem, handle: e.handle, header: e.header, segmentSize: layout.segmentSize)
    }

    func closeAll() {
        for h in handles where h >= 0 { fileSystem.close(h) }
    }
}
