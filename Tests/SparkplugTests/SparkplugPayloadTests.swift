import Testing

@testable import Sparkplug

@Suite("Sparkplug payloads")
struct SparkplugPayloadTests {
    @Test("what is written reads back: times, seq, names, aliases, datatypes, values, null and quality")
    func roundTrip() throws {
        let payload = SparkplugPayload(
            timestamp: 1_795_660_000_000, seq: 255,
            metrics: [
                SparkplugMetric(name: "Temperature", alias: 1, timestamp: 1_795_660_000_001, datatype: .double, value: .double(52.5)),
                SparkplugMetric(alias: 2, datatype: .int16, value: .int(UInt32(bitPattern: -7)), quality: 64),
                SparkplugMetric(name: "Running", datatype: .boolean, value: .boolean(true)),
                SparkplugMetric(name: "Level", datatype: .float, value: .null),
                SparkplugMetric(name: "Label", datatype: .string, value: .string("oven")),
            ])
        let read = try SparkplugPayload(decoding: payload.serialized())
        #expect(read == payload)
        #expect(read.metrics[0].number(as: .double) == 52.5)
        #expect(read.metrics[1].number(as: .int16) == -7)
        #expect(read.metrics[2].number(as: .boolean) == nil)
    }

    @Test("properties beside the quality, and is_historical, read back; a lower-case quality key is read as the quality")
    func propertiesRoundTrip() throws {
        let metric = SparkplugMetric(
            alias: 3, timestamp: 5, datatype: .double, value: .double(1), quality: 192,
            properties: [SparkplugProperty("flag", .string("ok")), SparkplugProperty("seq", .uint64(7)), SparkplugProperty("fresh", .boolean(true))],
            isHistorical: true)
        let read = try SparkplugPayload(decoding: SparkplugPayload(metrics: [metric]).serialized())
        #expect(read.metrics == [metric])
        #expect(read.metrics[0].property("seq") == .uint64(7))
        var lower = Org_Eclipse_Tahu_Protobuf_Payload.Metric()
        lower.properties.keys = ["quality"]
        lower.properties.values = [SparkplugProperty.Value.int32(64).protobuf]
        var payload = Org_Eclipse_Tahu_Protobuf_Payload()
        payload.metrics = [lower]
        #expect(try SparkplugPayload(decoding: try payload.serializedBytes() as [UInt8]).metrics[0].quality == 64)
    }

    @Test("signed integers read alike from both encodings in use (sign-extended and of their own width); a field that fits neither is no value")
    func signedIntegers() {
        #expect(SparkplugMetric(value: .int(0xFFFF_FFFF)).number(as: .int8) == -1)
        #expect(SparkplugMetric(value: .int(255)).number(as: .int8) == -1)
        #expect(SparkplugMetric(value: .int(0xFFFF_FF80)).number(as: .int8) == -128)
        #expect(SparkplugMetric(value: .int(0xFFFF)).number(as: .int16) == -1)
        #expect(SparkplugMetric(value: .int(255)).number(as: .uint8) == 255)
        #expect(SparkplugMetric(value: .int(65535)).number(as: .uint16) == 65535)
        for (value, type) in [(300, SparkplugDataType.int8), (0xFFFF_FF7F, .int8), (70000, .int16), (276, .uint8), (70000, .uint16), (0xFFFF_FFFF, .uint8)] {
            #expect(SparkplugMetric(value: .int(UInt32(value))).number(as: type) == nil, "\(value) is no \(type)")
        }
        #expect(SparkplugMetric(value: .int(65_535)).number(as: .int16) == -1)
        #expect(SparkplugMetric(value: .int(255)).number(as: .uint8) == 255)
        #expect(SparkplugMetric(value: .long(UInt64(bitPattern: -5))).number(as: .int64) == -5)
        #expect(SparkplugMetric(value: .float(.nan)).number(as: .float) == nil)
        #expect(SparkplugMetric(value: .double(1)).number(as: .float) == nil, "a value field that does not match its type")
    }

    @Test("a Float is read as its shortest decimal, without float32 noise: 41.3 is 41.3; the Float it came from is kept")
    func floatWidened() {
        #expect(SparkplugMetric(value: .float(41.3)).number(as: .float) == 41.3)
        #expect(SparkplugMetric(value: .float(99.9)).number(as: .float) == 99.9)
        #expect(SparkplugMetric(value: .float(-0.1)).number(as: .float) == -0.1)
        #expect(SparkplugMetric(value: .float(40)).number(as: .float) == 40)
        for v: Float in [
            41.3, 99.9, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 16_777_216, 0.1, -0.0, 3.4e38,
        ] {
            let widened = SparkplugMetric(value: .float(v)).number(as: .float)
            #expect(widened.map(Float.init) == v, "\(v) widened to \(widened.map(String.init(describing:)) ?? "nil")")
        }
    }

    @Test("bytes that are not a payload are refused, not trapped on")
    func garbage() {
        for bytes: [UInt8] in [[0xFF], [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], Array(repeating: 0x12, count: 64), Array("{\"seq\":1}".utf8)] {
            #expect(throws: SparkplugDecodingError.self) { try SparkplugPayload(decoding: bytes) }
        }
        #expect((try? SparkplugPayload(decoding: [])) == SparkplugPayload(), "an empty payload is a valid empty message")
    }
}
