import Foundation
import Testing
import TestSupport
@testable import Journal

@Suite("Journal under SIGKILL of a real process")
struct KillTests {
    @Test("20 times: a child appending with fsync always is killed at a random moment; every append it reported durable is there")
    func sigkill() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let helper = BuiltProducts.executable("JournalCrashHelper")
        var lastDurable: UInt64 = 0
        for round in 0..<20 {
            let log = dir.file("round-\(round).log")
            let child = try ChildProcess(helper, [dir.file("journal")], logPath: log)
            let target = lastDurable + UInt64.random(in: 1...400)
            try await waitUntil("child to report durable \(target)", timeout: .seconds(60)) {
                !child.isRunning || Self.lastDurable(in: child.output) >= target
            }
            #expect(child.isRunning, "helper exited early: \(child.output.suffix(500))")
            child.signal(SIGKILL)
            try await child.wait()
            #expect(child.terminatingSignal == SIGKILL)
            lastDurable = max(lastDurable, Self.lastDurable(in: child.output))

            let (records, _) = try readAll(dir.file("journal"), POSIXFileSystem())
            let bySeq = Dictionary(records.map { ($0.seq, $0) }, uniquingKeysWith: { a, _ in a })
            // A slow machine lets the child write past the 64 MiB ring before the kill (817,117
            // records in one CI run): the ring then reclaims whole old segments, as it does when
            // nothing holds them. What it still holds, from its oldest record on, must be every
            // durable record, and a wrapped ring still holds its 7 other segments' worth (at most
            // 248 bytes a record here).
            let oldest = records.first?.seq ?? 1
            #expect(oldest == 1 || records.count >= 7 * (8 << 20) / 248, "the ring lost more than its oldest segment: \(records.count) records from \(oldest)")
            for seq in oldest...max(oldest, lastDurable) where seq <= lastDurable {
                let expected = Array("record-\(seq)-".utf8) + [UInt8](repeating: UInt8(truncatingIfNeeded: seq), count: Int(seq % 200))
                #expect(bySeq[seq]?.payload == expected, "durable record \(seq) missing or wrong after round \(round)")
            }
        }
        #expect(lastDurable > 20)
    }

    static func lastDurable(in output: String) -> UInt64 {
        output.split(separator: "\n").last { $0.hasPrefix("durable ") }.flatMap { UInt64($0.dropFirst(8)) } ?? 0
    }
}
