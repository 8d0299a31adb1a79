import TestSupport

/// What an end-to-end test of the cleaned stream starts with: a private broker, a data folder,
/// a subscriber to `cleaned/#` (or the filters a test names) and a fleet of test sensors that does not answer resend requests
/// (the test decides what is resent). `stop()` shuts the broker down and removes the folder.
struct CleanedStreamRig {
    let broker: TestBroker
    let dir: TemporaryDirectory
    let watcher: Subscriber
    let fleet: TestSensorFleet

    static func start(watching filters: [String] = ["cleaned/#"]) async throws -> CleanedStreamRig {
        let broker = try await TestBroker.start()
        do {
            let dir = try TemporaryDirectory()
            do {
                let watcher = try await Subscriber.connect(broker, id: "watcher", filters: filters)
                let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
                return CleanedStreamRig(broker: broker, dir: dir, watcher: watcher, fleet: fleet)
            } catch {
                dir.remove()
                throw error
            }
        } catch {
            broker.shutdown()
            throw error
        }
    }

    func stop() {
        broker.shutdown()
        dir.remove()
    }
}
