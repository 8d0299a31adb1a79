import Synchronization

/// The last `SensorSummary.recentCapacity` points a sensor published, for the status page's plot.
///
/// A reference shared by the engine, which appends, and the status snapshots, which read: a
/// status row holds the sensor's ring, not a copy of it. (As a value, every status rebuild
/// shared each sensor's points with the engine, and the engine's next publication for that
/// sensor then copied them: at 10,000 sensors the largest single path of the heap profile.)
/// A plot can thus show a point or two newer than the row's counts. Never part of a snapshot.
public final class RecentPoints: Sendable {
    /// A point as kept: the value as a Float is plenty for a plot and makes it 24 bytes, not 32.
    private struct Stored {
        var seq: UInt64
        var ts: Int64
        var value: Float
        var quality: Quality
    }

    private struct Ring {
        var points: [Stored] = []
        /// The oldest point once full.
        var start = 0
    }

    private let ring = Mutex(Ring())

    init() {}

    /// The points, oldest first.
    public var points: [SensorSummary.Point] {
        ring.withLock { r in
            (r.points[r.start...] + r.points[..<r.start]).map { Point(seq: $0.seq, ts: $0.ts, value: Double($0.value), quality: $0.quality) }
        }
    }

    private typealias Point = SensorSummary.Point

    func append(seq: UInt64, ts: Int64, value: Double, quality: Quality) {
        let point = Stored(seq: seq, ts: ts, value: Float(value), quality: quality)
        ring.withLock { r in
            if r.points.count < SensorSummary.recentCapacity {
                if r.points.isEmpty { r.points.reserveCapacity(SensorSummary.recentCapacity) }  // one allocation, not seven
                r.points.append(point)
            } else {
                r.points[r.start] = point
                r.start = (r.start + 1) % SensorSummary.recentCapacity
            }
        }
    }
}
