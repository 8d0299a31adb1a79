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
        var properties: [SparkplugProperty] = []
        if m.hasProperties {
            for (key, property) in zip(m.properties.keys, m.properties.values) {
                if key == Self.qualityKey || key == "quality" {
                    switch property.value {
                    case .intValue(let v): quality = Int32(bitPattern: v)
                    case .longValue(let v): quality = Int32(truncatingIfNeeded: Int64(bitPattern: v))
                    default: break
                    }
                } else if let value = SparkplugProperty.Value(protobuf: property) {
                    properties.append(SparkplugProperty(key, value))
                }
            }
        }
        self.init(
            name: m.hasName ? m.name : nil, alias: m.hasAlias ? m.alias : nil, timestamp: m.hasTimestamp ? m.timestamp : nil,
            datatype: m.hasDatatype ? SparkplugDataType(rawValue: m.datatype) ?? .unknown : nil, value: value, quality: quality,
            properties: properties, isHistorical: m.hasIsHistorical && m.isHistorical)
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
        if isHistorical { m.isHistorical = true }
        if quality != nil || !properties.isEmpty {
            var keys: [String] = []
            var values: [Org_Eclipse_Tahu_Protobuf_Payload.PropertyValue] = []
            if let quality {
                keys.append(Self.qualityKey)
                values.append(SparkplugProperty.Value.int32(quality).protobuf)
            }
            for property in properties {
                keys.append(property.key)
                values.append(property.value.protobuf)
            }
            m.properties.keys = keys
            m.properties.values = values
        }
        return m
    }
}

extension SparkplugProperty.Value {
    /// nil for a property value the gateway does not keep (a nested property set, a float).
    init?(protobuf p: Org_Eclipse_Tahu_Protobuf_Payload.PropertyValue) {
        guard !(p.hasIsNull && p.isNull) else { return nil }
        switch (SparkplugDataType(rawValue: p.type), p.value) {
        case (.int8?, .intValue(let v)): self = .int32(Int32(Int8(truncatingIfNeeded: v)))
        case (.int16?, .intValue(let v)): self = .int32(Int32(Int16(truncatingIfNeeded: v)))
        case (_, .intValue(let v)): self = .int32(Int32(bitPattern: v))
        case (_, .longValue(let v)): self = .uint64(v)
        case (_, .stringValue(let v)): self = .string(v)
        case (_, .booleanValue(let v)): self = .boolean(v)
        default: return nil
        }
    }

    var protobuf: Org_Eclipse_Tahu_Protobuf_Payload.PropertyValue {
        var p = Org_Eclipse_Tahu_Protobuf_Payload.PropertyValue()
        switch self {
        case .int32(let v):
            p.type = SparkplugDataType.int32.rawValue
            p.intValue = UInt32(bitPattern: v)
        case .uint64(let v):
            p.type = SparkplugDataType.uint64.rawValue
            p.longValue = v
        case .string(let v):
            p.type = SparkplugDataType.string.rawValue
            p.stringValue = v
        case .boolean(let v):
            p.type = SparkplugDataType.boolean.rawValue
            p.booleanValue = v
        }
        return p
    }
}
