/// Replaces a whole small file crash-safely: write a temporary, sync it, rename over the old
/// one, sync the directory. A reader sees the old content or the new, never a mix.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String, fileSystem: FileSystem) throws {
        try write(to: path, fileSystem: fileSystem) { append in try append(bytes) }
    }

    /// Like `write(_:to:fileSystem:)`, with the content produced in pieces by `produce`, which
    /// calls `append` for each: a large file never has to be whole in memory.
    public static func write(
        to path: String, fileSystem: FileSystem,
        producing produce: (_ append: ([UInt8]) throws -> Void) throws -> Void
    ) throws {
        let temporary = path + ".tmp"
        try fileSystem.remove(temporary)
        let h = try fileSystem.open(temporary, create: true)
        do {
            var offset = 0
            try produce { piece in
                try fileSystem.write(h, bytes: piece, at: offset)
                offset += piece.count
            }
            try fileSystem.sync(h)
        } catch {
            fileSystem.close(h)
            // A half-written temporary only takes space (on a full disk, the space needed next).
            try? fileSystem.remove(temporary)
            throw error
        }
        fileSystem.close(h)
        try fileSystem.rename(temporary, to: path)
        try fileSystem.syncDirectory(directory(of: path))
    }

    /// The file's bytes, or nil when it does not exist.
    public static func read(_ path: String, fileSystem: FileSystem) throws -> [UInt8]? {
        guard fileSystem.exists(path) else { return nil }
        let h = try fileSystem.openForReading(path)
        defer { fileSystem.close(h) }
        return try fileSystem.read(h, count: try fileSystem.size(h), at: 0)
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
