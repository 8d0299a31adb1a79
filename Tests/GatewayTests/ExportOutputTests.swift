import Foundation
import Testing
import TestSupport

@testable import Gateway

/// Where `sensor-gateway export --output` writes: a regular file appears whole or not at all; a
/// path that is not a regular file is written through, never replaced (found black-box: an
/// export to `/dev/full` as root replaced the device node with a CSV file and exited 0).
@Suite("Export output")
struct ExportOutputTests {
    @Test("a FIFO given as --output is written through and stays a FIFO")
    func fifoIsWrittenThrough() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("pipe")
        #expect(mkfifo(path, 0o600) == 0)
        // A reader first, so that opening the FIFO for writing does not wait for one.
        let reader = open(path, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        let out = try ExportOutput(path: path)
        try out.write(Array("seq,ts\n1,2\n".utf8))
        try out.commit()
        var status = stat()
        #expect(stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO, "the FIFO was replaced")
        var bytes = [UInt8](repeating: 0, count: 64)
        let n = read(reader, &bytes, bytes.count)
        #expect(n > 0 && String(decoding: bytes[0..<n], as: UTF8.self) == "seq,ts\n1,2\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["pipe"], "a partial file was left")
    }

    @Test("a regular file is replaced whole on commit, and left as it was when the export is abandoned")
    func regularFileIsReplacedWhole() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("out.csv")
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: path))
        let failed = try ExportOutput(path: path)
        try failed.write(Array("half".utf8))
        failed.abandon()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old\n")
        let out = try ExportOutput(path: path)
        try out.write(Array("new\n".utf8))
        try out.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.csv"])
    }
}
