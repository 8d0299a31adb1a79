import Foundation
import Testing
import TestSupport

/// Prometheus' own checker, as the tests run it (scripts/setup.sh --tests installs it).
enum Promtool {
    static let path = "/usr/bin/promtool"

    /// Runs `promtool ARGUMENTS` (with `input` on standard input when given) and expects exit 0.
    static func expectSuccess(_ arguments: [String], input: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            Issue.record("promtool is not installed: run scripts/setup.sh --tests (Debian's prometheus package)", sourceLocation: sourceLocation)
            return
        }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try (input ?? "").write(toFile: dir.file("input"), atomically: true, encoding: .utf8)
        let quoted = ([path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let check = try ChildProcess("/bin/sh", ["-c", "\(quoted) < '\(dir.file("input"))'"], logPath: dir.file("promtool.log"))
        check.waitBlocking()
        #expect(check.exitCode == 0, "promtool \(arguments.joined(separator: " ")): \(check.output)", sourceLocation: sourceLocation)
    }
}
