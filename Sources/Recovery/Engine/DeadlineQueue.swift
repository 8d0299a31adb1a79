/// Every sensor's next deadline in a binary min-heap, so finding the earliest is O(1) and a tick
/// costs in proportion to the sensors that are due, not to the fleet.
///
/// A sensor's deadline moves later with nearly every reading (its stale deadline follows its last
/// receipt); re-ordering the heap each time would cost log N per message. So a key may be early:
/// `note` only moves a key earlier, and a key that reaches the top is compared with the sensor's
/// actual deadline and corrected there. Invariant: every sensor with a deadline is in the heap
/// with a key no later than that deadline.
struct DeadlineQueue: Sendable {
    /// Sensor indices, heap-ordered by `key`.
    private var heap: [Int32] = []
    /// Per sensor: its key while in the heap.
    private var key: [Int64] = []
    /// Per sensor: its place in `heap`, or -1 when absent.
    private var position: [Int32] = []

    /// How many sensors the queue knows (present in the heap or not).
    var sensorCount: Int { key.count }

    /// Makes room for the next sensor index, with no deadline yet.
    mutating func addSensor() {
        key.append(.max)
        position.append(-1)
    }

    /// Records that sensor `i`'s deadline is now `deadline` (nil: none).
    mutating func note(_ i: Int, _ deadline: Int64?) {
        guard let deadline else { return }  // an entry left behind is dropped when it reaches the top
        if position[i] < 0 {
            key[i] = deadline
            position[i] = Int32(heap.count)
            heap.append(Int32(i))
            siftUp(heap.count - 1)
        } else if deadline < key[i] {
            key[i] = deadline
            siftUp(Int(position[i]))
        }
    }

    /// The earliest actual deadline, correcting early keys on the way (`actual` gives a sensor's
    /// current deadline).
    mutating func earliest(actual: (Int) -> Int64?) -> Int64? {
        while let top = heap.first.map(Int.init) {
            let deadline = actual(top)
            if deadline == key[top] { return deadline }
            reposition(top, deadline)
        }
        return nil
    }

    /// Takes the sensors due at `now` out of the queue, in index order (so the output of a tick
    /// does not depend on the heap's layout, which differs after a restore). The caller ticks
    /// them and notes their new deadlines.
    mutating func takeDue(now: Int64, actual: (Int) -> Int64?) -> [Int] {
        var due: [Int] = []
        while let top = heap.first.map(Int.init), key[top] <= now {
            let deadline = actual(top)
            if let deadline, deadline <= now {
                remove(top)
                due.append(top)
            } else {
                reposition(top, deadline)
            }
        }
        return due.count > 1 ? due.sorted() : due
    }

    /// Moves the top entry to its actual deadline, or out of the heap when it has none.
    private mutating func reposition(_ top: Int, _ deadline: Int64?) {
        guard let deadline else { return remove(top) }
        key[top] = deadline
        siftDown(0)
    }

    private mutating func remove(_ i: Int) {
        let at = Int(position[i])
        let last = heap.count - 1
        if at != last {
            swapEntries(at, last)
        }
        heap.removeLast()
        position[i] = -1
        key[i] = .max
        if at < heap.count {
            siftDown(at)
            siftUp(at)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard key[Int(heap[i])] < key[Int(heap[parent])] else { return }
            swapEntries(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < heap.count, key[Int(heap[l])] < key[Int(heap[smallest])] { smallest = l }
            if r < heap.count, key[Int(heap[r])] < key[Int(heap[smallest])] { smallest = r }
            if smallest == i { return }
            swapEntries(i, smallest)
            i = smallest
        }
    }

    private mutating func swapEntries(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        position[Int(heap[a])] = Int32(a)
        position[Int(heap[b])] = Int32(b)
    }
}
