/// A Sparkplug B payload (Sparkplug 3.0 section 6.4), reduced to what the gateway uses: the
/// message's time and seq and, per metric, its name or alias, time, datatype, value, simple
/// properties and whether it is historical. Other fields (metadata, templates, data sets, property
/// sets nested in properties) are not kept.
public struct SparkplugPayload: Sendable, Equatable {
    /// Milliseconds since the epoch (UTC), when the edge node sent it.
    public var timestamp: UInt64?
    /// 0-255 per edge node, across all of its births and data messages (section 6.4.2).
    public var seq: UInt64?
    public var metrics: [SparkplugMetric]

    public init(timestamp: UInt64? = nil, seq: UInt64? = nil, metrics: [SparkplugMetric] = []) {
        self.timestamp = timestamp
        self.seq = seq
        self.metrics = metrics
    }
}

/// One metric of a payload (section 6.4.4).
public struct SparkplugMetric: Sendable, Equatable {
    /// Given in births; data messages may give only the alias.
    public var name: String?
    public var alias: UInt64?
    /// Milliseconds since the epoch (UTC) when the value was taken.
    public var timestamp: UInt64?
    /// Given in births; nil in data messages that leave it out.
    public var datatype: SparkplugDataType?
    public var value: SparkplugValue
    /// The `Quality` property Ignition and Sparkplug 3.0 hosts use (192 good, 64 uncertain, 0 bad);
    /// read under `Quality` or `quality`, written as `Quality`.
    public var quality: Int32?
    /// The metric's other properties with a simple value (section 6.4.7), in order.
    public var properties: [SparkplugProperty]
    /// `is_historical`: a value of the past, not the metric's current one.
    public var isHistorical: Bool

    public init(
        name: String? = nil, alias: UInt64? = nil, timestamp: UInt64? = nil, datatype: SparkplugDataType? = nil, value: SparkplugValue,
        quality: Int32? = nil, properties: [SparkplugProperty] = [], isHistorical: Bool = false
    ) {
        self.name = name
        self.alias = alias
        self.timestamp = timestamp
        self.datatype = datatype
        self.value = value
        self.quality = quality
        self.properties = properties
        self.isHistorical = isHistorical
    }

    /// The property named `key` (other than the quality), if present.
    public func property(_ key: String) -> SparkplugProperty.Value? {
        properties.first { $0.key == key }?.value
    }
}

extension SparkplugMetric {
    /// The codes of the `Quality` property, as Ignition and Sparkplug 3.0 hosts read them: what the
    /// input reads as good and what the gateway's own edge node writes.
    public enum QualityCode {
        public static let good: Int32 = 192
        public static let uncertain: Int32 = 64
        public static let bad: Int32 = 0
    }
}

/// One property of a metric's property set (section 6.4.7) with a simple value.
public struct SparkplugProperty: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case int32(Int32)
        case uint64(UInt64)
        case string(String)
        case boolean(Bool)
    }

    public var key: String
    public var value: Value

    public init(_ key: String, _ value: Value) {
        self.key = key
        self.value = value
    }
}

/// A metric's value as read: its own field (section 6.4.4's `value` oneof) before the datatype
/// says how to read it (`SparkplugMetric.number`).
public enum SparkplugValue: Sendable, Equatable {
    /// `int_value`: Int8-32 and UInt8-32 (signed ones as their two's complement).
    case int(UInt32)
    /// `long_value`: Int64, UInt64 and DateTime.
    case long(UInt64)
    case float(Float)
    case double(Double)
    case boolean(Bool)
    case string(String)
    /// `is_null`: the edge node says it has no value.
    case null
    /// Bytes, data sets, templates, an extension, or no value field at all.
    case other
}

extension SparkplugMetric {
    /// The value as one number when `type` is numeric and the value field fits it; nil otherwise
    /// (a boolean, a string, null, or a field that does not match the type).
    ///
    /// Signed integers are read from their own width, so both encodings in use decode alike: Tahu
    /// sign-extends an Int8's -1 to 32 bits (0xFFFFFFFF), pysparkplug writes 255. A field that is
    /// neither (an Int8 of 300, a UInt16 of 70000) does not fit the type: nil, not its low bits.
    public func number(as type: SparkplugDataType) -> Double? {
        switch (type, value) {
        case (.int8, .int(let v)) where v <= 0xFF || v >= 0xFFFF_FF80: Double(Int8(truncatingIfNeeded: v))
        case (.int16, .int(let v)) where v <= 0xFFFF || v >= 0xFFFF_8000: Double(Int16(truncatingIfNeeded: v))
        case (.int32, .int(let v)): Double(Int32(bitPattern: v))
        case (.uint8, .int(let v)) where v <= 0xFF: Double(v)
        case (.uint16, .int(let v)) where v <= 0xFFFF: Double(v)
        case (.uint32, .int(let v)): Double(v)
        case (.int64, .long(let v)): Double(Int64(bitPattern: v))
        case (.uint64, .long(let v)): Double(v)
        case (.float, .float(let v)): v.isFinite ? Self.widened(v) : nil
        case (.double, .double(let v)): v.isFinite ? v : nil
        default: nil
        }
    }

    /// A Float as the Double of its shortest decimal form, the number the edge node meant: 41.3
    /// is read 41.3, not 41.29999923706055 (the float nearest 41.3, widened as it is; found
    /// black-box). Swift prints a Float as the shortest decimal that reads back as the same
    /// Float, so the Double parsed from it lies within that Float's own rounding: what changes
    /// is only its float32 noise.
    static func widened(_ v: Float) -> Double { Double(v.description) ?? Double(v) }
}
