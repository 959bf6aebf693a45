import KafkaReplication
import SeededRandom

/// A seeded, deterministic simulation of one partition replicated on three brokers with a controller
/// (modeled, or the real KafkaController: `SimConfig.controller`), acks=all idempotent producers, and
/// faults drawn from the seed (crashes losing the unflushed suffix, restarts after clean or unclean
/// shutdowns, pauses, network partitions between pairs, message loss and delay). Every event is followed by
/// the invariant checks in `SimCluster+Invariants.swift`; the first violation ends the run, and so does an
/// unclean election of a replica that lost records (`lossyUncleanElection`), a loss Kafka accepts.
///
/// The same seed (and config) always replays the same run: all randomness comes from one `SplitMix64`,
/// and the event queue orders ties by insertion.
struct SimCluster {
    enum Event {
        case deliver(to: Int32, incarnation: Int, from: Int32, SimMessage)
        case brokerTick(Int32)
        case controllerTick
        case producerTick(Int)
        /// A one-off producer tick (a retry after an error), not rescheduling itself.
        case producerRetry(Int)
        case flush(Int32)
        case fault
        case endChaos
        /// After the quiet period: has the cluster converged? Checked again every 100 ms until a deadline.
        case checkConvergence
    }

    struct Stats {
        var events = 0
        var acked = 0
        var leaderEpochs = 0
        var crashes = 0
        var lossyCrashes = 0
        var truncations = 0
        var isrExpansions = 0
        var isrShrinks = 0
        /// Runs stopped at an unclean election of a replica that lost records (see `SimCluster.lossyUncleanElection`).
        var lossyUncleanElections = 0
        /// Of those, the ones whose leader lacked an acknowledged record.
        var lossyUncleanElectionsLosingAcks = 0
        /// Leaders elected from KIP-966's eligible leader replicas (the ISR empty), and those elected so while
        /// another replica had lost records in a crash (and not caught up since).
        var elrElections = 0
        var elrElectionsAfterLoss = 0
        /// Unclean elections of a replica that had lost nothing (KIP-966's last known leader).
        var harmlessUncleanElections = 0
        /// Runs that ended with the partition offline for good (no leader possible without an unclean election).
        var offlineForGood = 0

        mutating func add(_ other: Stats) {
            events += other.events
            acked += other.acked
            leaderEpochs += other.leaderEpochs
            crashes += other.crashes
            lossyCrashes += other.lossyCrashes
            truncations += other.truncations
            isrExpansions += other.isrExpansions
            isrShrinks += other.isrShrinks
            lossyUncleanElections += other.lossyUncleanElections
            lossyUncleanElectionsLosingAcks += other.lossyUncleanElectionsLosingAcks
            elrElections += other.elrElections
            elrElectionsAfterLoss += other.elrElectionsAfterLoss
            harmlessUncleanElections += other.harmlessUncleanElections
            offlineForGood += other.offlineForGood
        }
    }

    let config: SimConfig
    var rng: SplitMix64
    var now: Int64 = 0
    var queue = EventQueue()
    var brokers: [SimBroker]
    var controller: any ReplicationControllerModel
    var images: [SimImage] = []
    var lastHeartbeat: [Int32: Int64] = [:]
    var producers: [SimProducer] = []
    var partitions: Set<[Int32]> = []
    var lossPercent: UInt64 = 0
    var chaos = true
    var nextRequestId = 0
    var acked: [AckedRecord] = []
    var stats = Stats()
    var converged = false
    var failure: String?
    /// Set when the controller elected uncleanly a replica that had lost records in a crash (Kafka's last
    /// known leader, KIP-966, when the ISR and the ELR are empty): a loss Kafka accepts to bring the
    /// partition back, so the run stops there.
    var lossyUncleanElection: String?
    /// Leader epochs that began with an unclean election.
    var uncleanLeaderEpochs: Set<Int32> = []
    /// The ELR of the image published last (for the statistics).
    var publishedELR: [Int32] = []
    /// The event trace, kept only when tracing (a class, so logging needs no exclusive access).
    final class Trace {
        var enabled: Bool
        var lines: [String] = []
        init(enabled: Bool) { self.enabled = enabled }
    }

    let trace: Trace
    /// Brokers whose log, high watermark or role changed during the current event.
    var dirty: Set<Int32> = []
    /// Invariant bookkeeping: the leader of each leader epoch, and each leadership's last high watermark.
    var leaderOfEpoch: [Int32: Int32] = [:]
    var leadershipHighWatermark: [String: Int64] = [:]

    init(seed: UInt64, config: SimConfig = SimConfig(), tracing: Bool = false) {
        self.config = config
        self.rng = SplitMix64(seed: seed)
        self.trace = Trace(enabled: tracing)
        brokers = (1...3).map { SimBroker(id: Int32($0)) }
        self.controller = config.controller.make(replicas: [1, 2, 3], minInsyncReplicas: config.minInsyncReplicas)
        lossPercent = rng.below(6)
        for index in 0..<config.producers {
            producers.append(SimProducer(node: Int32(100 + index), producerId: Int64(1000 + index)))
        }
        publish()
        for broker in brokers {
            schedule(.brokerTick(broker.id), after: Int64(rng.below(10)))
            schedule(.flush(broker.id), after: 50 + Int64(rng.below(250)))
        }
        schedule(.controllerTick, after: 50)
        for index in producers.indices { schedule(.producerTick(index), after: 200 + Int64(rng.below(100))) }
        schedule(.fault, after: 100 + Int64(rng.below(300)))
        schedule(.endChaos, after: config.chaosMs)
    }

    /// Runs to convergence after the quiet period; nil when every invariant held and the cluster converged,
    /// else the violation (with the trace when tracing).
    mutating func run() -> String? {
        schedule(.checkConvergence, after: config.chaosMs + config.quietMs)
        while failure == nil, lossyUncleanElection == nil, !converged, let (time, event) = queue.pop() {
            now = time
            stats.events += 1
            handle(event)
            checkInvariants()
            dirty.removeAll(keepingCapacity: true)
        }
        if lossyUncleanElection != nil { stats.lossyUncleanElections += 1 }
        if converged, controller.isOfflineForGood { stats.offlineForGood += 1 }
        return failure
    }

    func log(_ text: @autoclosure () -> String) {
        if trace.enabled { trace.lines.append("\(now) \(text())") }
    }

    mutating func fail(_ text: String) {
        if failure == nil { failure = "t=\(now): \(text)" }
    }

    mutating func schedule(_ event: Event, after delay: Int64) {
        queue.push(event, at: now + delay)
    }

    mutating func requestId() -> Int {
        nextRequestId += 1
        return nextRequestId
    }

    func index(_ broker: Int32) -> Int { Int(broker) - 1 }

    // MARK: network

    func isPartitioned(_ a: Int32, _ b: Int32) -> Bool {
        partitions.contains([min(a, b), max(a, b)])
    }

    /// Sends `message` unless the link is cut or the message is lost; it arrives 1-15 ms later, and only at
    /// the incarnation of the destination that was up when it was sent.
    mutating func send(_ message: SimMessage, from: Int32, to: Int32) {
        if from < 100, to < 100, isPartitioned(from, to) { return }
        if lossPercent > 0, rng.below(UInt64(100)) < lossPercent { return }
        let incarnation = (1...3).contains(to) ? brokers[index(to)].incarnation : 0
        schedule(.deliver(to: to, incarnation: incarnation, from: from, message), after: 1 + Int64(rng.below(15)))
    }

    mutating func handle(_ event: Event) {
        switch event {
        case .deliver(let to, let incarnation, let from, let message):
            if to == 0 {
                controllerReceived(message, from: from)
            } else if to >= 100 {
                producerReceived(message, producer: Int(to - 100))
            } else {
                let i = index(to)
                guard brokers[i].up, brokers[i].incarnation == incarnation else { return }
                // A partition cut after sending still drops it (the connection broke).
                if from < 100, isPartitioned(from, to) { return }
                if brokers[i].paused { brokers[i].buffered.append((from, message)); return }
                brokerReceived(message, from: from, broker: to)
            }
        case .brokerTick(let id):
            brokerTick(id)
            schedule(.brokerTick(id), after: 60 + Int64(rng.below(40)))
        case .controllerTick:
            controllerTick()
            schedule(.controllerTick, after: 150)
        case .producerTick(let index):
            producerTick(index)
            schedule(.producerTick(index), after: 300)
        case .producerRetry(let index):
            producerTick(index)
        case .flush(let id):
            let i = index(id)
            if brokers[i].up { brokers[i].log.flush() }
            schedule(.flush(id), after: 100 + Int64(rng.below(400)))
        case .fault:
            guard chaos else { return }
            injectFault()
            schedule(.fault, after: 50 + Int64(rng.below(350)))
        case .checkConvergence:
            if let problem = convergenceProblem() {
                if now >= config.chaosMs + config.quietMs + config.convergenceDeadlineMs {
                    fail("no convergence \(config.convergenceDeadlineMs) ms after the quiet period: \(problem)")
                } else {
                    schedule(.checkConvergence, after: 100)
                }
            } else {
                converged = true
            }
        case .endChaos:
            chaos = false
            lossPercent = 0
            partitions.removeAll()
            log("chaos ends: heal all, resume and restart every broker")
            for broker in brokers {
                if !broker.up { restart(broker.id) }
                if broker.paused { resume(broker.id) }
            }
        }
    }

    // MARK: faults

    mutating func injectFault() {
        let id = Int32(1 + rng.below(3))
        let i = index(id)
        switch rng.below(10) {
        case 0, 1:
            if brokers[i].up { crash(id) }
        case 2, 3:
            if !brokers[i].up { restart(id) }
        case 4:
            if brokers[i].up, !brokers[i].paused { pause(id) } else if brokers[i].paused { resume(id) }
        case 5, 6:
            let a = Int32(rng.below(4))
            var b = Int32(rng.below(4))
            if a == b { b = (a + 1) % 4 }
            partitions.insert([min(a, b), max(a, b)])
            log("partition \(a) | \(b)")
        case 7:
            if let pair = partitions.sorted(by: { $0.lexicographicallyPrecedes($1) }).first {
                partitions.remove(pair)
                log("heal \(pair)")
            }
        case 8:
            partitions.removeAll()
            log("heal all")
        default:
            lossPercent = rng.below(UInt64(11))
            log("loss \(lossPercent)%")
        }
    }

    /// A crash loses the unflushed suffix, unless no other live member of the ISR or the ELR still holds
    /// every committed record: losing them all at once is beyond what Kafka tolerates, so then the crash
    /// keeps the whole log (as if flushed just before). A broker that lost records registers as after an
    /// unclean shutdown; one that kept its log as after a clean one (`SimBroker.cleanShutdown`).
    mutating func crash(_ id: Int32) {
        let i = index(id)
        let holders = controller.registration.isr + controller.eligibleLeaderReplicas
        let survivor = holders.contains { $0 != id && brokers[index($0)].up && brokers[index($0)].holdsCommitted }
        let lossy = survivor && rng.below(UInt64(3)) != 0
        stats.crashes += 1
        if lossy { stats.lossyCrashes += 1 }
        log("crash \(id)\(lossy ? " losing offsets \(brokers[i].log.flushedUpTo)..<\(brokers[i].log.logEndOffset)" : " (log kept)")")
        brokers[i].up = false
        brokers[i].paused = false
        brokers[i].buffered = []
        brokers[i].incarnation += 1
        brokers[i].brokerEpoch = nil
        brokers[i].role = .none
        brokers[i].purgatory = []
        brokers[i].register = nil
        brokers[i].metadataFetch = nil
        brokers[i].fetch = nil
        brokers[i].listOffsets = nil
        brokers[i].alter = nil
        brokers[i].appliedImages = 0
        brokers[i].statuses = [:]
        if lossy, brokers[i].log.flushedUpTo < brokers[i].log.logEndOffset {
            brokers[i].holdsCommitted = false
            brokers[i].cleanShutdown = false
        } else if brokers[i].cleanShutdown {
            // (Not after an unclean stop this incarnation has not registered since.) Drawn for either
            // controller, so both see the same faults.
            let killed = rng.below(UInt64(2)) == 0
            brokers[i].cleanShutdown = !(killed && config.killsKeepingTheLogMayBeUnclean)
        }
        brokers[i].log.crash(losesUnflushed: lossy)
        dirty.insert(id)
    }

    mutating func restart(_ id: Int32) {
        log("restart \(id)")
        brokers[index(id)].up = true
    }

    mutating func pause(_ id: Int32) {
        log("pause \(id)")
        brokers[index(id)].paused = true
    }

    mutating func resume(_ id: Int32) {
        log("resume \(id)")
        let i = index(id)
        brokers[i].paused = false
        let buffered = brokers[i].buffered
        brokers[i].buffered = []
        for (from, message) in buffered where brokers[i].up && !brokers[i].paused {
            brokerReceived(message, from: from, broker: id)
        }
    }
}

/// A min-heap of events by time, ties in insertion order. The heap orders small keys; the events wait
/// in slots (moving large enum values around the heap is what a debug build is slowest at).
struct EventQueue {
    typealias Element = SimCluster.Event

    private struct Key {
        var time: Int64
        var order: Int
        var slot: Int

        func precedes(_ other: Key) -> Bool {
            time != other.time ? time < other.time : order < other.order
        }
    }

    private var heap: [Key] = []
    private var slots: [Element?] = []
    private var freeSlots: [Int] = []
    private var counter = 0

    mutating func push(_ element: Element, at time: Int64) {
        counter += 1
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = element
        } else {
            slot = slots.count
            slots.append(element)
        }
        heap.append(Key(time: time, order: counter, slot: slot))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (Int64, Element)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var best = parent
            if left < heap.count, heap[left].precedes(heap[best]) { best = left }
            if right < heap.count, heap[right].precedes(heap[best]) { best = right }
            if best == parent { break }
            heap.swapAt(parent, best)
            parent = best
        }
        let element = slots[top.slot].take()!
        freeSlots.append(top.slot)
        return (top.time, element)
    }
}
