/// Keeping damaged journal files aside: a copy, whole and synced, under a name no earlier copy
/// took (`segment-0003.log.damaged-2`), before anything changes the original.
extension SegmentSet {
    func asideName(for path: String) throws -> String {
        try SegmentSet.asideName(for: path, fileSystem: fileSystem, promised: setAside)
    }

    static func asideName(for path: String, fileSystem: FileSystem, promised: [String] = []) throws -> String {
        let base = lastComponent(path) + ".damaged-"
        let names = try fileSystem.list(AtomicFile.directory(of: path)) + promised.map(lastComponent)
        let taken = names.compactMap { name -> Int? in
            guard name.hasPrefix(base) else { return nil }
            return Int(name.dropFirst(base.count).prefix { $0 != "." })
        }
        return "\(path).damaged-\((taken.max() ?? 0) + 1)"
    }

    func lastComponent(_ path: String) -> String { SegmentSet.lastComponent(path) }

    static func lastComponent(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    func copy(_ handle: Int32, size: Int, to path: String) throws {
        try SegmentSet.copy(handle, size: size, to: path, fileSystem: fileSystem)
    }

    /// Keeps a copy of the open segment file at `path` beside it; returns the copy's path.
    static func keepCopy(of handle: Int32, path: String, fileSystem: FileSystem) throws -> String {
        let aside = try asideName(for: path, fileSystem: fileSystem)
        try copy(handle, size: try fileSystem.size(handle), to: aside, fileSystem: fileSystem)
        return aside
    }

    /// Copies `size` bytes of the open file to `path` crash-safely (a temporary, synced, renamed,
    /// the directory synced): the copy exists whole before anything changes the original.
    static func copy(_ handle: Int32, size: Int, to path: String, fileSystem: FileSystem) throws {
        do {
            try AtomicFile.write(to: path, fileSystem: fileSystem) { append in
                var offset = 0
                while offset < size {
                    let piece = try fileSystem.read(handle, count: min(1 << 20, size - offset), at: offset)
                    if piece.isEmpty { break }
                    try append(piece)
                    offset += piece.count
                }
            }
        } catch let e as FileSystemError {
            throw JournalError.invalidConfiguration(
                "could not keep a copy of a damaged journal file as \(path) (\(e)); nothing was changed. Free some space, then run `sensor-gateway journal verify`"
            )
        }
    }
}
