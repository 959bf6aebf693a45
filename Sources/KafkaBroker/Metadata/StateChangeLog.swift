import KafkaController
import KafkaMetadata
import KafkaProtocol
import Logging

/// The info lines an operator reads to follow the cluster's state, written by every node as it
/// applies committed metadata (a publisher on each delta, in commit order), so they say what the
/// cluster now is, not what a controller meant to do, and each change is logged once per node:
/// - a line per broker whose control state changed: registered (again, with a new epoch), unfenced,
///   entered controlled shutdown, fenced (saying when at the end of a controlled shutdown),
///   unregistered; heartbeats that change nothing change no record, so they log nothing;
/// - one line per applied delta for the ISR changes of the partitions this node holds a replica of,
///   naming at most `shownPartitions` of them (a broker's fencing can shrink thousands of ISRs).
/// Why a broker was fenced is only known where it was decided: the active controller logs that
/// decision (session expired, controlled shutdown, asked to be fenced).
/// A node loading its metadata from nothing (the log replayed at start-up, or its snapshot loaded)
/// is not watching a change and logs none; a restarting node then applies the log after its snapshot
/// as one delta, and logs that delta's net changes.
enum StateChangeLog {
    static let shownPartitions = 8

    /// A broker's control state as Kafka names it (`BrokerControlState`); nil while not registered.
    struct BrokerChange: Hashable, Sendable {
        var broker: Int32
        var epoch: Int64
        var from: BrokerLifecycle.ControlState?
        var to: BrokerLifecycle.ControlState?
        /// The registration was replaced (a restarted broker registered with a new epoch).
        var reregistered: Bool
    }

    struct IsrChange: Hashable, Sendable {
        var partition: TopicPartition
        var from: [Int32]
        var to: [Int32]
    }

    static func brokerChanges(_ delta: MetadataDelta, _ image: MetadataImage) -> [BrokerChange] {
        let before = delta.base.brokers
        var changes: [BrokerChange] = []
        for id in Set(before.keys).union(image.brokers.keys).sorted() {
            let old = before[id], new = image.brokers[id]
            let from = old.map(BrokerLifecycle.controlState(of:)), to = new.map(BrokerLifecycle.controlState(of:))
            let reregistered = old != nil && new != nil && old!.epoch != new!.epoch
            guard from != to || reregistered else { continue }
            changes.append(BrokerChange(broker: id, epoch: (new ?? old)!.epoch, from: from, to: to, reregistered: reregistered))
        }
        return changes
    }

    /// Partitions of topics changed in `delta` that this node holds (or held) a replica of and whose ISR
    /// (as a set) changed; a new partition has no ISR change.
    static func isrChanges(_ delta: MetadataDelta, _ image: MetadataImage, nodeID: Int32) -> [IsrChange] {
        var changes: [IsrChange] = []
        for id in delta.changedTopicIDs {
            guard let topic = image.topicsByID[id], let before = delta.base.topicsByID[id] else { continue }
            for (index, p) in topic.partitions {
                guard let old = before.partitions[index], old.replicas.contains(nodeID) || p.replicas.contains(nodeID),
                      Set(old.isr) != Set(p.isr) else { continue }
                changes.append(IsrChange(partition: TopicPartition(topic.name, index), from: old.isr, to: p.isr))
            }
        }
        return changes.sorted { $0.partition < $1.partition }
    }

    static func name(_ state: BrokerLifecycle.ControlState?) -> String {
        switch state {
        case .fenced?: "FENCED"
        case .unfenced?: "UNFENCED"
        case .controlledShutdown?: "CONTROLLED_SHUTDOWN"
        case .shutdownNow?: "SHUTDOWN_NOW"
        case nil: "NOT_REGISTERED"
        }
    }

    /// The message for a broker's change.
    static func message(_ change: BrokerChange) -> String {
        if change.reregistered { return "broker registered again" }
        switch (change.from, change.to) {
        case (_, nil): return "broker unregistered"
        case (nil, _): return "broker registered"
        case (.controlledShutdown?, .fenced?): return "broker fenced at the end of its controlled shutdown"
        case (_, .fenced?), (_, .shutdownNow?): return "broker fenced"
        case (_, .unfenced?): return "broker unfenced"
        case (_, .controlledShutdown?): return "broker entered controlled shutdown"
        }
    }

    /// Logs what `delta` changed (see the type's comment).
    static func log(_ delta: MetadataDelta, _ image: MetadataImage, nodeID: Int32, logger: Logger) {
        guard delta.base.provenance.offset >= 0 else { return }
        let offset = "\(image.provenance.offset)"
        for change in brokerChanges(delta, image) {
            logger.info("\(message(change))", metadata: [
                "kafka.broker": "\(change.broker)", "kafka.broker_epoch": "\(change.epoch)",
                "kafka.broker_state": "\(name(change.to))", "kafka.broker_state_was": "\(name(change.from))",
                "raft.offset": "\(offset)",
            ])
        }
        let isr = isrChanges(delta, image, nodeID: nodeID)
        guard !isr.isEmpty else { return }
        let shown = isr.prefix(shownPartitions).map { "\($0.partition) \($0.from) -> \($0.to)" }
        logger.info("ISR changed", metadata: [
            "kafka.partitions": "\(shown)\(isr.count > shownPartitions ? "..." : "")", "kafka.isr_changes": "\(isr.count)",
            "raft.offset": "\(offset)",
        ])
    }
}
