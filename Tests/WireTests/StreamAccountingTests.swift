import Testing
import Wire

@Suite("Stream accounting: the contract's guarantees, checked as a consumer would")
struct StreamAccountingTests {
    static func reading(
        _ seq: UInt64, _ quality: CleanedReading.Quality = .ok, sensor: String = "a", boot: Int64? = nil, value: Double = 52
    )
        -> CleanedReading
    {
        CleanedReading(sensorID: sensor, seq: seq, ts: 1_795_660_000_000 + Int64(seq), temperature: value, status: "normal", quality: quality, boot: boot)
    }

    static func gap(_ from: UInt64, _ to: UInt64, sensor: String = "a") -> CleanedReading {
        var g = CleanedReading(sensorID: sensor, seq: from, ts: 1_795_660_000_000, temperature: nil, status: nil, quality: .gap)
        (g.fromSeq, g.toSeq, g.fromTs, g.toTs) = (from, to, 1_795_660_000_000, 1_795_660_000_009)
        return g
    }

    @Test("a clean stream: readings and a gap cover every seq once; identical repeats and restatements do not count twice")
    func clean() {
        var restated = Self.reading(1, .restated)
        restated.supersedes = "synthetic"
        let accounting = StreamAccounting([
            Self.reading(0), Self.reading(1, .synthetic), Self.gap(2, 4), Self.reading(5), Self.reading(5), restated,
        ])
        #expect(accounting.allProblems.isEmpty)
        #expect(accounting.coveredSeqs[StreamKey(sensorID: "a", boot: nil)] == [0, 1, 2, 3, 4, 5])
        #expect(accounting.messagesByQuality == [.ok: 2, .synthetic: 1, .gap: 1, .restated: 1])
        #expect(accounting.seqsInGaps == 3)
        #expect(accounting.quality(of: StreamKey(sensorID: "a", boot: nil), seq: 3) == .gap)
    }

    @Test("each broken guarantee is found: order, conflicting duplicates, a seq twice, a hole")
    func broken() {
        let accounting = StreamAccounting([
            Self.reading(0), Self.reading(2), Self.reading(1),  // out of order; and 1 then fills the hole late
            Self.reading(2, value: 53),  // same key, different content
            Self.reading(3), Self.gap(3, 5),  // 3 covered twice (and the gap is out of order)
            Self.reading(9),  // 6...8 never covered
        ])
        #expect(accounting.orderViolations == 2)
        #expect(accounting.conflictingDuplicates == 1)
        #expect(accounting.seqsCoveredTwice == 1)
        #expect(accounting.holes == [StreamKey(sensorID: "a", boot: nil): [6, 7, 8]])
        #expect(accounting.allProblems.count == 5)
    }

    @Test("streams are per sensor and boot: a new boot starts again at 0")
    func boots() {
        let accounting = StreamAccounting([
            Self.reading(0, boot: 1), Self.reading(1, boot: 1), Self.reading(0, boot: 2), Self.reading(0, sensor: "b"),
        ])
        #expect(accounting.allProblems.isEmpty)
        #expect(accounting.coveredSeqs.count == 3)
    }

    @Test("a hostile gap is counted only up to its bound")
    func hugeGap() {
        let accounting = StreamAccounting([Self.reading(0), Self.gap(1, 1_000_000_000_000)])
        #expect(accounting.seqsInGaps == Int(StreamAccounting.maxSeqsPerGap) + 1)
        // At the very top of the seq space too, without overflowing.
        let top = StreamAccounting([Self.gap(UInt64.max - 2, UInt64.max)])
        #expect(top.seqsInGaps == 3 && top.span(of: StreamKey(sensorID: "a", boot: nil)) == (UInt64.max - 2)...UInt64.max)
    }
}

@Suite("Message shapes and the one JSON route")
struct MessageShapeTests {
    @Test("the examples of docs/INTERFACE.md decode")
    func examples() throws {
        let cleaned = try WireJSON.decode(
            CleanedReading.self,
            from: Array(#"{"sensor_id":"press-01","seq":41,"ts":1795660000000,"temperature":52.31,"status":"normal","quality":"ok"}"#.utf8))
        #expect(cleaned == CleanedReading(sensorID: "press-01", seq: 41, ts: 1_795_660_000_000, temperature: 52.31, status: "normal", quality: .ok))
        let letter = try WireJSON.decode(
            DeadLetter.self,
            from: Array(
                #"{"reason":"malformed_json","topic":"sensors/press-01/temperature","received_at":1795660000123,"payload":"{\"seq\":4"}"#.utf8))
        #expect(letter.reason == "malformed_json" && letter.payload == #"{"seq":4"# && letter.receivedAt == 1_795_660_000_123)
        #expect(
            try WireJSON.decode(ResendRequest.self, from: Array(#"{"from_seq":12,"to_seq":14,"measurement":"temperature"}"#.utf8))
                == ResendRequest(fromSeq: 12, toSeq: 14, measurement: "temperature"))
        let open = try WireJSON.decode(ResendRequest.self, from: Array(#"{"from_seq":12}"#.utf8))
        #expect(open.asks(for: 1_000_000) && !open.asks(for: 11))
        // Without `measurement` (a gateway from before measurements) it asks for temperature.
        #expect(open.isFor("temperature") && !open.isFor("humidity"))
        let state = try WireJSON.decode(SensorStateNotice.self, from: Array(#"{"state":"stale","last_seq":7,"last_seen":1795660000000}"#.utf8))
        #expect(state.state == .stale && state.lastSeq == 7)
    }

    @Test("a replay request's times take either form, and a field of the wrong type reads as absent")
    func replayRequest() throws {
        let r = try WireJSON.decode(
            ReplayRequest.self,
            from: Array(#"{"request_id":"r1","sensor_id":"*","from":1795660000000,"to":"2026-11-26T03:00:00Z","extra":[1]}"#.utf8))
        #expect(r.requestID == "r1" && r.sensorID == "*" && r.from == 1_795_660_000_000)
        #expect(r.to == Timestamp.parse("2026-11-26T03:00:00Z"))
        let wrong = try WireJSON.decode(ReplayRequest.self, from: Array(#"{"request_id":5,"from":"yesterday","to":true}"#.utf8))
        #expect(wrong.requestID == nil && wrong.from == nil && wrong.to == nil)
        #expect(throws: (any Error).self) { try WireJSON.decode(ReplayRequest.self, from: Array("[1]".utf8)) }
    }

    @Test("what the gateway writes off the hot path: the documented key order, unescaped slashes, escaped text")
    func encoding() throws {
        let done = ReplayAnswer.done("r/1", count: 3, truncated: false, oldestAvailable: 5)
        #expect(String(decoding: done.json, as: UTF8.self) == #"{"request_id":"r/1","done":true,"count":3}"#)
        let cut = ReplayAnswer.done("r", count: 0, truncated: true, oldestAvailable: 5)
        #expect(String(decoding: cut.json, as: UTF8.self) == #"{"request_id":"r","done":true,"count":0,"truncated":true,"oldest_available":5}"#)
        #expect(try WireJSON.decode(ReplayAnswer.self, from: cut.json) == cut)
        let status = GatewayStatusNotice(state: .online, version: "0.2.0", startedAt: 7)
        #expect(String(decoding: status.json, as: UTF8.self) == #"{"state":"online","version":"0.2.0","started_at":7}"#)
        #expect(String(decoding: GatewayStatusNotice(state: .offline).json, as: UTF8.self) == #"{"state":"offline"}"#)
        #expect(WireJSON.text(status) == #"{"started_at":7,"state":"online","version":"0.2.0"}"#)  // plain Codable: sorted
        #expect(WireJSON.quoted("a\"b\n") == #""a\"b\n""#)
        #expect(String(decoding: ReplayAnswer.failed("r", error: "a\"b").json, as: UTF8.self) == #"{"request_id":"r","error":"a\"b"}"#)
    }

    @Test("a JSON config value reads as the text a setting takes")
    func settingText() throws {
        let v = try WireJSON.decode(JSONValue.self, from: Array(#"{"a":256,"b":"256M","c":true,"d":0.5,"e":[1]}"#.utf8))
        guard case .object(let o) = v else { Issue.record("not an object"); return }
        #expect(o["a"]?.settingText == "256" && o["b"]?.settingText == "256M" && o["c"]?.settingText == "true")
        #expect(o["d"]?.settingText == "0.5" && o["e"]?.settingText == "[1]")
    }
}
