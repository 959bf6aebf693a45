import KafkaProtocol

/// The lines `kafka-topics.sh --describe` (3.9) prints, with the filters of its report options. Pure.
///
///     Topic: <name>\tTopicId: <id>\tPartitionCount: <n>\tReplicationFactor: <rf>\tConfigs: <k=v,...>
///     \tTopic: <name>\tPartition: <p>\tLeader: <id|none>\tReplicas: <ids>\tIsr: <ids>[\tAdding Replicas: ..\tRemoving Replicas: ..]\tElr: <ids|N/A>\tLastKnownElr: <ids|N/A>
///
/// `Configs:` lists the entries whose source is not DEFAULT_CONFIG, in the broker's order; `TopicId:`
/// is left out for the zero id; the replication factor leaves out replicas being added by a reassignment.
public enum TopicDescribeFormat {
    public struct Report: Hashable, Sendable {
        public var underReplicated = false
        public var unavailable = false
        public var underMinIsr = false
        public var atMinIsr = false
        public var overriddenConfigs = false

        public init(underReplicated: Bool = false, unavailable: Bool = false, underMinIsr: Bool = false, atMinIsr: Bool = false,
                    overriddenConfigs: Bool = false) {
            self.underReplicated = underReplicated
            self.unavailable = unavailable
            self.underMinIsr = underMinIsr
            self.atMinIsr = atMinIsr
            self.overriddenConfigs = overriddenConfigs
        }

        /// The topic line is printed unless a partition report is asked for.
        var describeConfigs: Bool { !unavailable && !underReplicated && !underMinIsr && !atMinIsr }
        /// Partition lines are printed unless `--topics-with-overrides`.
        var describePartitions: Bool { !overriddenConfigs }
    }

    /// Every line for one topic.
    public static func lines(topic: TopicInfo, configs: [ConfigEntry], reassignments: [TopicPartition: PartitionReassignment],
                             liveBrokers: Set<Int32>, report: Report) -> [String] {
        var out: [String] = []
        if report.describeConfigs {
            let hasNonDefault = configs.contains { !$0.isDefault }
            if (!report.overriddenConfigs || hasNonDefault), let first = topic.partitions.first {
                let rf = replicationFactor(first, reassignments[TopicPartition(topic.name, first.partition)])
                out.append(topicLine(name: topic.name, id: topic.id, partitionCount: topic.partitions.count, replicationFactor: rf, configs: configs))
            }
        }
        if report.describePartitions {
            let minIsr = configs.first { $0.name == "min.insync.replicas" }.flatMap { $0.value.flatMap(Int.init) } ?? 1
            for p in topic.partitions {
                let reassignment = reassignments[TopicPartition(topic.name, p.partition)]
                if shouldPrint(p, reassignment: reassignment, minIsr: minIsr, liveBrokers: liveBrokers, report: report) {
                    out.append(partitionLine(topic: topic.name, p, reassignment: reassignment))
                }
            }
        }
        return out
    }

    public static func topicLine(name: String, id: KafkaUUID, partitionCount: Int, replicationFactor: Int, configs: [ConfigEntry]) -> String {
        var s = "Topic: \(name)"
        if id != .zero { s += "\tTopicId: \(id)" }
        s += "\tPartitionCount: \(partitionCount)"
        s += "\tReplicationFactor: \(replicationFactor)"
        s += "\tConfigs: " + configs.filter { !$0.isDefault }.map { "\($0.name)=\($0.valueText)" }.joined(separator: ",")
        return s
    }

    public static func partitionLine(topic: String, _ p: PartitionInfo, reassignment: PartitionReassignment?) -> String {
        func ids(_ list: [Int32]) -> String { list.map(String.init).joined(separator: ",") }
        var s = "\tTopic: \(topic)\tPartition: \(p.partition)\tLeader: \(p.leader.map(String.init) ?? "none")"
        s += "\tReplicas: \(ids(p.replicas))\tIsr: \(ids(p.isr))"
        if let r = reassignment {
            s += "\tAdding Replicas: \(ids(r.adding))\tRemoving Replicas: \(ids(r.removing))"
        }
        s += "\tElr: " + (p.elr.map(ids) ?? "N/A")
        s += "\tLastKnownElr: " + (p.lastKnownElr.map(ids) ?? "N/A")
        return s
    }

    /// Kafka's `isReassignmentInProgress`/`getReplicationFactor`.
    static func replicationFactor(_ p: PartitionInfo, _ r: PartitionReassignment?) -> Int {
        guard let r else { return p.replicas.count }
        let changing = Set(r.adding + r.removing)
        return p.replicas.contains(where: changing.contains) ? r.replicas.count - r.adding.count : p.replicas.count
    }

    static func shouldPrint(_ p: PartitionInfo, reassignment: PartitionReassignment?, minIsr: Int, liveBrokers: Set<Int32>, report: Report) -> Bool {
        if report.describeConfigs { return true }
        let underReplicated = replicationFactor(p, reassignment) - p.isr.count > 0
        let unavailable = p.leader.map { !liveBrokers.contains($0) } ?? true
        let underMinIsr = p.leader == nil || p.isr.count < minIsr
        let atMinIsr = p.isr.count == minIsr
        return (report.underReplicated && underReplicated) || (report.unavailable && unavailable)
            || (report.underMinIsr && underMinIsr) || (report.atMinIsr && atMinIsr)
    }
}
