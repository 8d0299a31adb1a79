import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a config file's bytes, refusing one larger than `maxBytes` without reading it whole
/// (a config file is a few KiB; a 200 MB one is a mistake: a log, a core dump, `/dev/zero`),
/// and says why a file cannot be read in the system's words.
enum ConfigFileReader {
    /// The largest config file read: far above any real one (the shipped one is 3 KiB).
    static let maxBytes = 1 << 20

    /// The file's text. Throws a `Setting.Problem` naming the cause: missing, unreadable, a
    /// folder, over the cap, or not UTF-8.
    static func text(of path: String, maxBytes: Int = maxBytes) throws(Setting.Problem) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Setting.Problem("cannot read the config file: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0 {
            if info.st_mode & S_IFMT == S_IFDIR { throw Setting.Problem("cannot read the config file: it is a folder") }
            if info.st_mode & S_IFMT == S_IFREG && Int(info.st_size) > maxBytes { throw tooLarge(Int(info.st_size), maxBytes) }
        }
        // Pipes and devices have no size up front: read at most one byte past the cap.
        var bytes = [UInt8](repeating: 0, count: maxBytes + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw Setting.Problem("cannot read the config file: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            count += n
        }
        guard count <= maxBytes else { throw tooLarge(nil, maxBytes) }
        var slice = bytes[..<count]
        if slice.starts(with: [0xEF, 0xBB, 0xBF]) { slice = slice.dropFirst(3) }  // a byte-order mark (Windows editors)
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw Setting.Problem("the config file is not UTF-8 text (\(firstInvalidUTF8(slice)))")
        }
        return text
    }

    /// Where the first byte that is not UTF-8 is in `bytes`: its line, and its byte in that line
    /// (found black-box, 90th review: the error gave neither, in a file of a hundred lines).
    static func firstInvalidUTF8(_ bytes: ArraySlice<UInt8>) -> String {
        var line = 1
        var lineStart = bytes.startIndex
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            let length = b < 0x80 ? 1 : b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0
            let end = i + length
            guard length > 0, end <= bytes.endIndex, String(validating: bytes[i..<end], as: UTF8.self) != nil else {
                return "line \(line), byte \(i - lineStart + 1) of the line: 0x\(String(b, radix: 16, uppercase: true))"
            }
            if b == UInt8(ascii: "\n") {
                line += 1
                lineStart = end
            }
            i = end
        }
        return "at its end"
    }

    private static func tooLarge(_ size: Int?, _ maxBytes: Int) -> Setting.Problem {
        let what = size.map { "\($0) bytes" } ?? "more than \(maxBytes) bytes"
        return Setting.Problem("the config file is \(what); config files of more than \(maxBytes) bytes (1 MiB) are refused unread (is it the right file?)")
    }
}
