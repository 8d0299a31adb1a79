import Foundation
import TestSupport

/// A private InfluxDB 1.x (Debian's `influxdb` package, `influxd`) for a test: its own config,
/// free loopback ports for HTTP and the RPC bind address, its own meta, data and WAL folders.
/// HTTP goes through `curl` (installed with the gateway's other tools).
final class InfluxServer {
    let port: Int32
    let directory: TemporaryDirectory
    private let process: ChildProcess

    /// Starts `influxd` and waits until `/ping` answers 204. A missing `influxd` fails the test
    /// (scripts/setup.sh --tests installs it), never skips it.
    static func start() async throws -> InfluxServer {
        var lastError: Error?
        for _ in 0..<3 {  // a port taken between choosing it and binding it: try others
            let server = try InfluxServer()
            do {
                try await server.waitUntilReady()
                return server
            } catch {
                lastError = error
                server.stop()
            }
        }
        throw lastError ?? TimedOut("influxd to start")
    }

    private init() throws {
        let executable = TestBroker.executable("influxd")
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw InfluxFailure("influxd not found: install Debian's influxdb package (scripts/setup.sh --tests)")
        }
        directory = try TemporaryDirectory(prefix: "influxd")
        port = LoopbackNetwork.freePort()
        let rpc = LoopbackNetwork.freePort()
        let config = """
            reporting-disabled = true
            bind-address = "127.0.0.1:\(rpc)"
            [meta]
              dir = "\(directory.file("meta"))"
            [data]
              dir = "\(directory.file("data"))"
              wal-dir = "\(directory.file("wal"))"
              query-log-enabled = false
            [http]
              enabled = true
              bind-address = "127.0.0.1:\(port)"
              log-enabled = false
            [monitor]
              store-enabled = false
            [continuous_queries]
              enabled = false
            [subscriber]
              enabled = false

            """
        try config.write(toFile: directory.file("influxd.conf"), atomically: true, encoding: .utf8)
        process = try ChildProcess(executable, ["-config", directory.file("influxd.conf")], logPath: directory.file("influxd.log"))
    }

    /// Polls `/ping` until it answers 204 (a generous deadline: a busy machine starts it slowly).
    private func waitUntilReady() async throws {
        let (process, port) = (self.process, self.port)
        try await waitUntil("influxd to answer /ping on port \(port)", timeout: .seconds(120)) {
            if !process.isRunning { throw InfluxFailure("influxd exited at start: \(process.output.suffix(2000))") }
            return (try? await HTTPGet.fetch(port: port, path: "/ping", timeoutSeconds: 5))?.status == 204
        }
    }

    /// Runs `curl` with `arguments` against this server; returns its standard output.
    private func curl(_ arguments: [String]) async throws -> String {
        let log = directory.file("curl-\(UUID().uuidString).out")
        let child = try ChildProcess("/usr/bin/curl", ["-sS", "--fail-with-body", "-o", log] + arguments, logPath: log + ".err")
        try await child.wait(timeout: .seconds(120))
        let body = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard child.exitCode == 0 else { throw InfluxFailure("curl \(arguments) failed: \(child.output) \(body)") }
        return body
    }

    func query(_ q: String, database: String? = nil) async throws -> [[Any]] {
        var args = ["-G", "http://127.0.0.1:\(port)/query", "--data-urlencode", "q=\(q)", "--data-urlencode", "epoch=ms"]
        if let database { args += ["--data-urlencode", "db=\(database)"] }
        let body = try await curl(args)
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let result = (json?["results"] as? [[String: Any]])?.first
        if let error = result?["error"] { throw InfluxFailure("query \(q): \(error)") }
        return ((result?["series"] as? [[String: Any]])?.first?["values"] as? [[Any]]) ?? []
    }

    func createDatabase(_ name: String) async throws {
        _ = try await curl(["-XPOST", "http://127.0.0.1:\(port)/query", "--data-urlencode", "q=CREATE DATABASE \(name)"])
    }

    /// Loads a file of line protocol through `/write` (nanosecond timestamps, the default).
    func write(file: String, database: String) async throws {
        _ = try await curl(["-XPOST", "http://127.0.0.1:\(port)/write?db=\(database)", "--data-binary", "@\(file)"])
    }

    func stop() {
        process.signal(SIGTERM)
        process.waitBlocking()
        directory.remove()
    }
}

struct InfluxFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
