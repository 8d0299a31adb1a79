import Foundation
import Testing
import TestSupport

@Suite("TLS to the broker")
struct TLSTests {
    /// Makes a CA and a server certificate for 127.0.0.1 with openssl; returns the CA's path.
    static func makeCertificates(in dir: TemporaryDirectory, name: String) async throws -> String {
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: dir.file("san.ext"), atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.file("\(name)-ca.key"), "-out", dir.file("\(name)-ca.pem"), "-days", "2",
                "-subj", "/CN=\(name) test CA",
            ],
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.file("\(name)-server.key"), "-out", dir.file("\(name)-server.csr"), "-subj",
                "/CN=127.0.0.1",
            ],
            [
                "x509", "-req", "-in", dir.file("\(name)-server.csr"), "-CA", dir.file("\(name)-ca.pem"), "-CAkey", dir.file("\(name)-ca.key"),
                "-CAcreateserial", "-out", dir.file("\(name)-server.pem"), "-days", "2", "-extfile", dir.file("san.ext"),
            ],
        ]
        for args in steps {
            let p = try ChildProcess(TestBroker.executable("openssl"), args, logPath: dir.file("openssl.log"))
            try await p.wait()
            #expect(p.exitCode == 0, "openssl \(args.first!): \(p.output)")
        }
        return dir.file("\(name)-ca.pem")
    }

    @Test("the gateway connects over mqtts with --ca-file, and refuses a broker its CA did not sign")
    func mqtts() async throws {
        let certs = try TemporaryDirectory()
        defer { certs.remove() }
        let ca = try await Self.makeCertificates(in: certs, name: "good")
        let otherCA = try await Self.makeCertificates(in: certs, name: "other")
        let tlsPort = LoopbackNetwork.freePort()
        let broker = try await TestBroker.start(extraConfig: [
            "listener \(tlsPort) 127.0.0.1", "cafile \(ca)", "certfile \(certs.file("good-server.pem"))", "keyfile \(certs.file("good-server.key"))",
        ])
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }

        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["cleaned/#"])
        let gateway = try GatewayProcess.start(
            broker: broker, dataDirectory: dir.file("data"),
            extra: ["--broker", "mqtts://127.0.0.1:\(tlsPort)", "--ca-file", ca])
        try await gateway.waitUntilConnected()
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        try fleet.measure("tls-1", seq: 0, ts: 1_795_660_000_000, temperature: 52.5)
        try await watcher.recorder.wait(for: "a cleaned reading through the TLS connection") { !$0.messages.isEmpty }
        #expect(try await gateway.terminate() == 0)

        let refused = try GatewayProcess.start(
            broker: broker, dataDirectory: dir.file("data2"),
            extra: ["--broker", "mqtts://127.0.0.1:\(tlsPort)", "--ca-file", otherCA], logName: "refused.log")
        try await waitUntil("the gateway to report the TLS failure") {
            refused.child.output.contains("cannot reach broker; retrying with backoff broker=127.0.0.1:\(tlsPort)")
        }
        #expect(!refused.child.output.contains("connected to broker"))
        #expect(try await refused.terminate() == 0)
        await fleet.close()
        await watcher.close()
    }
}
