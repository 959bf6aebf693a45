import KafkaController
import KafkaGroups
import KafkaMetadata
import KafkaRaft
import StromConfig

/// The gauges read from the node's state when Prometheus scrapes it, named as Prometheus' JMX exporter
/// renders Kafka's (`kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions` →
/// `kafka_server_replicamanager_underreplicatedpartitions`), plus per-partition log sizes, connections
/// per listener and consumer-group lag (as kafka-exporter names it). Pure: the caller reads the state.
enum NodeGauges {
    /// What the gauges are computed from.
    struct State {
        var nodeID: Int32
        /// The node's static configuration (the dynamic broker configs come from `image`).
        var config: ServerConfig
        var image: MetadataImage
        var quorum: QuorumDriver.Status
        var highWatermark: Int64?
        /// Kafka's raft-metrics commit latency over the last 30-60 s (`QuorumDriver.commitLatencyMs`);
        /// nil when this node committed no append of its own as leader in that time.
        var commitLatencyMs: (avg: Double, max: Double)?
        var isActiveController: Bool
        /// This node's replicas: size, log start and end offsets, high watermark.
        var logs: [(topic: String, partition: Int32, size: Int64, logStartOffset: Int64, logEndOffset: Int64, highWatermark: Int64)]
        var connections: [(listener: String, count: Int)]
        /// Committed offsets of the groups this node coordinates.
        var committed: [String: OffsetStore]
    }

    static func samples(_ s: State) -> [NodeMetrics.GaugeSample] {
        typealias G = NodeMetrics.GaugeSample
        var out: [G] = []
        var leaders = 0, underReplicated = 0, underMinIsr = 0, offline = 0
        let config = s.config.with(dynamicConfigsOf: s.image)
        for topic in s.image.topicsByID.values {
            // The topic's own min.insync.replicas, else the broker's (dynamic, then static).
            let minIsr = DescribeTopicConfigs.value("min.insync.replicas", topicOverrides: s.image.configs(for: .topic(topic.name)), config: config)
                .flatMap(Int.init) ?? 1
            for p in topic.partitions.values {
                if s.image.liveLeader(of: p) < 0 { offline += 1 }
                guard p.leader == s.nodeID else { continue }
                leaders += 1
                if p.isr.count < p.replicas.count { underReplicated += 1 }
                if p.isr.count < minIsr { underMinIsr += 1 }
            }
        }
        out.append(G("kafka_server_replicamanager_partitioncount", [], Double(s.logs.count), help: "Partitions with a replica on this node"))
        out.append(G("kafka_server_replicamanager_leadercount", [], Double(leaders), help: "Partitions this node leads"))
        out.append(G("kafka_server_replicamanager_underreplicatedpartitions", [], Double(underReplicated),
                     help: "Partitions this node leads whose ISR is smaller than their replicas"))
        out.append(G("kafka_server_replicamanager_underminisrpartitioncount", [], Double(underMinIsr),
                     help: "Partitions this node leads whose ISR is below min.insync.replicas"))
        out.append(G("kafka_controller_kafkacontroller_activecontrollercount", [], s.isActiveController ? 1 : 0,
                     help: "1 on the active controller, else 0"))
        // Kafka reports the controller's view only on the active controller.
        out.append(G("kafka_controller_kafkacontroller_offlinepartitionscount", [], s.isActiveController ? Double(offline) : 0,
                     help: "Partitions without a live leader (active controller only)"))
        let fenced = s.image.brokers.values.filter(\.fenced).count
        out.append(G("kafka_controller_kafkacontroller_activebrokercount", [], Double(s.image.brokers.count - fenced),
                     help: "Registered brokers that are not fenced"))
        out.append(G("kafka_controller_kafkacontroller_fencedbrokercount", [], Double(fenced), help: "Registered brokers that are fenced"))
        out.append(G("kafka_server_raft_metrics_current_leader", [], Double(s.quorum.leaderID ?? -1),
                     help: "The metadata quorum's leader (-1 while unknown)"))
        out.append(G("kafka_server_raft_metrics_current_epoch", [], Double(s.quorum.epoch), help: "The metadata quorum's epoch"))
        out.append(G("kafka_server_raft_metrics_high_watermark", [], Double(s.highWatermark ?? -1),
                     help: "The metadata log's high watermark as this node knows it (-1 while unknown)"))
        // `commit-latency-avg` and `commit-latency-max`, in Kafka's unit (ms per record of a batch), present
        // while there are samples: Kafka's NaN would be a series with no value.
        if let latency = s.commitLatencyMs {
            out.append(G("kafka_server_raft_metrics_commit_latency_avg", [], latency.avg,
                         help: "Average milliseconds per record from the quorum leader appending a batch to its commit (last 30-60 s)"))
            out.append(G("kafka_server_raft_metrics_commit_latency_max", [], latency.max,
                         help: "Largest milliseconds per record from the quorum leader appending a batch to its commit (last 30-60 s)"))
        }
        out.append(G("kafka_server_metadataloader_last_applied_offset", [], Double(s.image.provenance.offset),
                     help: "The offset of the last metadata record applied to this node's image"))
        for log in s.logs {
            let labels = [("topic", log.topic), ("partition", String(log.partition))]
            out.append(G("kafka_log_log_size", labels, Double(log.size), help: "Bytes of a partition's log on this node"))
            out.append(G("kafka_log_log_logendoffset", labels, Double(log.logEndOffset), help: "A partition's log end offset on this node"))
            out.append(G("kafka_log_log_logstartoffset", labels, Double(log.logStartOffset), help: "A partition's log start offset on this node"))
        }
        for c in s.connections {
            out.append(G("kafka_server_socketserver_connections", [("listener", c.listener)], Double(c.count),
                         help: "Open client connections, by listener"))
        }
        // Lag: the partition's high watermark here minus the group's committed offset, for the partitions
        // this node has a replica of.
        let highWatermarks = Dictionary(s.logs.map { ("\($0.topic)\u{0}\($0.partition)", $0.highWatermark) }, uniquingKeysWith: { a, _ in a })
        for (group, store) in s.committed.sorted(by: { $0.key < $1.key }) {
            for (topic, partitions) in store.offsets {
                for (partition, committed) in partitions {
                    guard let hw = highWatermarks["\(topic)\u{0}\(partition)"] else { continue }
                    out.append(G("kafka_consumergroup_lag", [("group", group), ("topic", topic), ("partition", String(partition))],
                                 Double(max(0, hw - committed.offset)), help: "High watermark minus the group's committed offset"))
                }
            }
        }
        return out
    }
}
