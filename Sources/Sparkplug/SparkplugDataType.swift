/// The metric datatypes of Sparkplug 3.0 section 6.4.16 (`DataType` in sparkplug_b.proto).
public enum SparkplugDataType: UInt32, Sendable, Codable, CaseIterable {
    case unknown = 0
    case int8 = 1, int16 = 2, int32 = 3, int64 = 4
    case uint8 = 5, uint16 = 6, uint32 = 7, uint64 = 8
    case float = 9, double = 10
    case boolean = 11, string = 12, dateTime = 13, text = 14, uuid = 15
    case dataSet = 16, bytes = 17, file = 18, template = 19
    case propertySet = 20, propertySetList = 21
    case int8Array = 22, int16Array = 23, int32Array = 24, int64Array = 25
    case uint8Array = 26, uint16Array = 27, uint32Array = 28, uint64Array = 29
    case floatArray = 30, doubleArray = 31, booleanArray = 32, stringArray = 33, dateTimeArray = 34

    /// Whether a value of this type is one number: the types the gateway makes streams of.
    public var isNumeric: Bool {
        switch self {
        case .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64, .float, .double: true
        default: false
        }
    }
}
