/// The last `RememberedSensor`s, oldest forgotten first; past the cap the oldest is dropped (a
/// sensor back after that starts afresh). Part of the engine's state, in snapshots.
struct ForgottenSensors: Codable, Sendable {
    private var byID: [String: (sensor: RememberedSensor, generation: UInt64)] = [:]
    /// Ids in the order forgotten; an entry whose generation no longer matches was taken back.
    private var order: [(id: String, generation: UInt64)] = []
    private var head = 0
    private var generation: UInt64 = 0

    init() {}

    var count: Int { byID.count }

    mutating func remember(_ sensor: RememberedSensor, cap: Int) {
        generation += 1
        byID[sensor.key] = (sensor, generation)
        order.append((sensor.key, generation))
        while byID.count > cap, head < order.count {
            let oldest = order[head]
            head += 1
            if byID[oldest.id]?.generation == oldest.generation { byID.removeValue(forKey: oldest.id) }
        }
        if head >= 1024 && head * 2 >= order.count {
            order.removeFirst(head)
            head = 0
        }
        // Entries of sensors taken back stay in `order` until they reach the front; when they
        // outnumber the live ones (sensors that keep coming and going), drop them in one pass.
        if order.count - head > 2 * byID.count + 1024 {
            order = order[head...].filter { byID[$0.id]?.generation == $0.generation }
            head = 0
        }
    }

    /// Entries kept for ordering (live and taken back): bounded by twice the live ones, plus 1,024.
    var orderEntries: Int { order.count - head }

    /// The remembered state of the stream keyed `id` (`StreamName.key`), forgotten here (it is tracked again).
    mutating func take(_ id: String) -> RememberedSensor? {
        byID.removeValue(forKey: id)?.sensor
    }

    /// Forgets the remembered aggregate windows (the aggregate window's width changed, so a
    /// sensor coming back starts windows of the new width).
    mutating func dropAggregates(where changed: (RememberedSensor) -> Bool = { _ in true }) {
        for id in byID.keys where byID[id].map({ changed($0.sensor) }) == true { byID[id]?.sensor.aggregates = nil }
    }

    // Encoded as the remembered sensors, oldest first: the order is all that matters.
    init(from decoder: any Decoder) throws {
        for sensor in try [RememberedSensor](from: decoder) { remember(sensor, cap: .max) }
    }

    func encode(to encoder: any Encoder) throws {
        let live = order[head...].compactMap { entry in
            byID[entry.id].flatMap { $0.generation == entry.generation ? $0.sensor : nil }
        }
        try live.encode(to: encoder)
    }
}
