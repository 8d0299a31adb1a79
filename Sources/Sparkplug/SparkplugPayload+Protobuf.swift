import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Why a payload could not be read as Sparkplug B.
public struct SparkplugDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
}

extension SparkplugPayload {
    /// Decodes a Sparkplug B payload (protobuf, sparkplug_b.proto). Throws on bytes that are not
    /// one; never traps, whatever the bytes (Tests/Fuzz/SparkplugFuzzer.swift).
    public init(decoding bytes: UnsafeRawBufferPointer) throws(SparkplugDecodingError) {
        let message: Org_Eclipse_Tahu_Protobuf_Payload
        do {
            // Nested messages (templates in templates) are bounded: a hostile payload cannot
            // recurse the decoder into a stack overflow.
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 16
            // Copied: swift-protobuf reads `[UInt8]` and `Data`, not a borrowed buffer.
            message = try Org_Eclipse_Tahu_Protobuf_Payload(serializedBytes: Array(bytes), options: options)
        } catch {
            throw SparkplugDecodingError(description: "not a Sparkplug B payload (\(error))")
        }
        self.init(
            timestamp: message.hasTimestamp ? message.timestamp : nil, seq: message.hasSeq ? message.seq : nil,
            metrics: message.metrics.map(SparkplugMetric.init(protobuf:)))
    }

    public init(decoding bytes: [UInt8]) throws(SparkplugDecodingError) {
        let result = bytes.withUnsafeBytes { raw -> Result<SparkplugPayload, SparkplugDecodingError> in
            do throws(SparkplugDecodingError) { return .success(try SparkplugPayload(decoding: raw)) } catch { return .failure(error) }
        }
        self = try result.get()
    }

    /// The payload's protobuf bytes: what the gateway sends (rebirth requests, its own edge
    /// node) and what the tests send.
    public func serialized() -> [UInt8] {
        var message = Org_Eclipse_Tahu_Protobuf_Payload()
        if let timestamp { message.timestamp = timestamp }
        if let seq { message.seq = seq }
        message.metrics = metrics.map(\.protobuf)
        // Encoding a message built from these fields cannot fail (no required fields are unset).
        return (try? message.serializedBytes()) ?? []
    }
}

extension SparkplugMetric {
    /// The `Quality` property's key (Ignition's and Sparkplug 3.0 section 6.4.6's usage).
    static let qualityKey = "Quality"

    init(protobuf m: Org_Eclipse_Tahu_Protobuf_Payload.Metric) {
        let value: SparkplugValue
        if m.hasIsNull && m.isNull {
            value = .null
        } else {
            switch m.value {
            case .intValue(let v): value = .int(v)
            case .longValue(let v): value = .long(v)
            case .floatValue(let v): value = .float(v)
            case .doubleValue(let v): value = .double(v)
            case .booleanValue(let v): value = .boolean(v)
            case .stringValue(let v): value = .string(v)
            case .bytesValue, .datasetValue, .templateValue, .extensionValue, nil: value = .other
            }
        }
        var quality: Int32?
        if m.hasProperties, let i = m.properties.keys.firstIndex(of: Self.qualityKey), i < m.properties.values.count {
            switch m.properties.values[i].value {
            case .intValue(let v): quality = Int32(bitPattern: v)
            case .longValue(let v): quality = Int32(truncatingIfNeeded: Int64(bitPattern: v))
            default: break
            }
        }
        self.init(
            name: m.hasName ? m.name : nil, alias: m.hasAlias ? m.alias : nil, timestamp: m.hasTimestamp ? m.timestamp : nil,
            datatype: m.hasDatatype ? SparkplugDataType(rawValue: m.datatype) ?? .unknown : nil, value: value, quality: quality)
    }

    var protobuf: Org_Eclipse_Tahu_Protobuf_Payload.Metric {
        var m = Org_Eclipse_Tahu_Protobuf_Payload.Metric()
        if let name { m.name = name }
        if let alias { m.alias = alias }
        if let timestamp { m.timestamp = timestamp }
        if let datatype { m.datatype = datatype.rawValue }
        switch value {
        case .int(let v): m.intValue = v
        case .long(let v): m.longValue = v
        case .float(let v): m.floatValue = v
        case .double(let v): m.doubleValue = v
        case .boolean(let v): m.booleanValue = v
        case .string(let v): m.stringValue = v
        case .null: m.isNull = true
        case .other: break
        }
        if let quality {
            var property = Org_Eclipse_Tahu_Protobuf_Payload.PropertyValue()
            property.type = SparkplugDataType.int32.rawValue
            property.intValue = UInt32(bitPattern: quality)
            m.properties.keys = [Self.qualityKey]
            m.properties.values = [property]
        }
        return m
    }
}
