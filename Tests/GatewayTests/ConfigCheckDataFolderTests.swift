import Foundation
import Testing
import TestSupport

@testable import Gateway

/// `config check` says what `run` will do with the data folder and the journal's size (found
/// black-box: `config check` said ok to a data folder that is a file, and `run` exited 74, which
/// the shipped unit restarts for ever; the size's error named a limit the journal refuses).
@Suite("config check and run on a data folder that is a file")
struct ConfigCheckDataFolderTests {
    @Test("a data-dir that is a file is refused as a setting by config check and by run alike: exit 78, naming the file")
    func dataFolderIsAFile() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = dir.file("afile")
        try "not a folder\n".write(toFile: file, atomically: true, encoding: .utf8)
        try "data-dir: \(file)\nhttp: off\n".write(toFile: dir.file("gateway.conf"), atomically: true, encoding: .utf8)
        let (checked, checkOutput) = try await GatewayProcess.runTool(
            ["config", "check", "--config", dir.file("gateway.conf")], logPath: dir.file("check.log"))
        #expect(checked == 78, "\(checkOutput)")
        #expect(checkOutput.contains("\(file) is a file, not a folder") && !checkOutput.contains("ok:"), "\(checkOutput)")
        // `run` stops before it reaches for the broker (none listens on this port).
        let port = LoopbackNetwork.freePort()
        let (ran, runOutput) = try await GatewayProcess.runTool(
            ["run", "--config", dir.file("gateway.conf"), "--broker", "mqtt://127.0.0.1:\(port)"], logPath: dir.file("run.log"))
        #expect(ran == 78, "\(runOutput)")
        #expect(runOutput.contains("\(file) is a file, not a folder"), "\(runOutput)")
        // A folder below a file: the same.
        try "data-dir: \(file)/data\nhttp: off\n".write(toFile: dir.file("below.conf"), atomically: true, encoding: .utf8)
        let (below, belowOutput) = try await GatewayProcess.runTool(["config", "check", "--config", dir.file("below.conf")], logPath: dir.file("below.log"))
        #expect(below == 78 && belowOutput.contains("\(file) is a file, not a folder"), "\(belowOutput)")
    }

    @Test(
        "a data folder this user cannot write in is refused before anything is made, naming the folder and ReadWritePaths (found black-box, 47th review: config check said ok, run exited 74)"
    )
    func dataFolderNotWritable() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let data = dir.file("data")
        let journal = data + "/journal"
        // Nothing of the data folder exists yet: the deepest folder that does is the one asked.
        var asked: [String] = []
        let problem = DataFolder.problem(dataDirectory: data, journalDirectory: journal) {
            asked.append($0)
            return false
        }
        #expect(asked == [dir.path], "\(asked)")
        #expect(problem?.contains("cannot write in \(dir.path)") == true && problem?.contains("ReadWritePaths") == true, "\(problem ?? "nil")")
        #expect(DataFolder.problem(dataDirectory: data, journalDirectory: journal) { _ in true } == nil)
        // The folder this process made is writable for it: the real check says so.
        #expect(DataFolder.problem(dataDirectory: data, journalDirectory: journal) == nil)
    }

    @Test(
        "a data folder holding a file this user cannot write (left by a run as root, the folders alone chowned) is refused, naming the file and chown -R (found black-box, 67th review: config check said ok, run exited 74 at each file in turn)"
    )
    func fileInTheDataFolderNotWritable() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let data = dir.file("data")
        let journal = data + "/journal"
        try FileManager.default.createDirectory(atPath: journal, withIntermediateDirectories: true)
        for file in [data + "/engine.snapshot", journal + "/checkpoint", journal + "/lock"] {
            try "x".write(toFile: file, atomically: false, encoding: .utf8)
        }
        for unwritable in [journal + "/lock", data + "/engine.snapshot"] {
            let problem = DataFolder.problem(dataDirectory: data, journalDirectory: journal, writable: { _ in true }) { $0 != unwritable }
            #expect(problem?.contains("cannot read and write \(unwritable)") == true, "\(problem ?? "nil")")
            #expect(problem?.contains("chown -R <user>: \(data)") == true, "\(problem ?? "nil")")
        }
        #expect(DataFolder.problem(dataDirectory: data, journalDirectory: journal, writable: { _ in true }) { _ in true } == nil)
        #expect(DataFolder.problem(dataDirectory: data, journalDirectory: journal) == nil)
    }

    @Test("journal-max-bytes above 16 GiB (16 segments of at most 1 GiB) is refused with that limit, not a larger one the journal then refuses")
    func journalSizeLimit() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try "data-dir: \(dir.file("data"))\nhttp: off\njournal-max-bytes: 1TiB\n".write(toFile: dir.file("big.conf"), atomically: true, encoding: .utf8)
        let (code, output) = try await GatewayProcess.runTool(["config", "check", "--config", dir.file("big.conf")], logPath: dir.file("big.log"))
        #expect(code == 78, "\(output)")
        #expect(output.contains("must be between 1048576 and 17179869184 bytes"), "\(output)")
    }

    /// Found black-box (90th review): a file system remounted read-only (flash after errors) was
    /// told to chown, which cannot fix it.
    @Test(
        "a data folder on a file system mounted read-only: config check and run say so (exit 78), not to chown",
        .enabled(if: getuid() == 0, "needs root to mount a tmpfs"))
    func dataFolderOnReadOnlyMount() async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.file("disk")
        try await DurabilityTests.mountTmpfs(disk, megabytes: 1)
        defer {
            DurabilityTests.unmount(disk)
            dir.remove()
        }
        try FileManager.default.createDirectory(atPath: disk + "/data", withIntermediateDirectories: true)
        let remount = try ChildProcess("/bin/mount", ["-o", "remount,ro", disk], logPath: dir.file("remount.log"))
        try await remount.wait()
        try #require(remount.exitCode == 0, "mount: \(remount.output)")
        #expect(DataFolder.readOnlyMount(disk + "/data"))
        try "data-dir: \(disk)/data\nhttp: off\n".write(toFile: dir.file("ro.conf"), atomically: true, encoding: .utf8)
        let (checked, output) = try await GatewayProcess.runTool(["config", "check", "--config", dir.file("ro.conf")], logPath: dir.file("ro.log"))
        #expect(checked == 78, "\(output)")
        #expect(output.contains("is mounted read-only") && !output.contains("(chown),"), "\(output)")
        let port = LoopbackNetwork.freePort()
        let (ran, runOutput) = try await GatewayProcess.runTool(
            ["run", "--config", dir.file("ro.conf"), "--broker", "mqtt://127.0.0.1:\(port)"], logPath: dir.file("ro-run.log"))
        #expect(ran == 78 && runOutput.contains("is mounted read-only"), "\(runOutput)")
    }
}
