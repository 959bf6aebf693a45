import KafkaMetadata
import NIOConcurrencyHelpers
import Prometheus

/// The node's metrics, in Prometheus' registry (swift-prometheus), named after Kafka's JMX metrics as
/// Prometheus' JMX exporter renders them (`kafka_server_brokertopicmetrics_bytes_in_total` for
/// `kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec`), plus what users otherwise bolt on.
///
/// Two kinds: counters and histograms updated as requests are served (`requestServed`, `produced`,
/// `fetched`, …), and gauges read from the node's state when scraped (`collect`, see `NodeGauges`).
/// Invariant: a scraped gauge whose labels no longer appear (a deleted topic's partition) is removed
/// from the registry, so the output describes the node as it is.
public final class NodeMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let gauges = NIOLockedValueBox<[GaugeKey: Gauge]>([:])
    /// Reads the node's state at scrape time; set once the node's services exist.
    private let collector = NIOLockedValueBox<(@Sendable () async -> [GaugeSample])?>(nil)

    /// Request time buckets, 0.5 ms to 30 s.
    static let requestTimeBuckets: [Duration] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
        .map { Duration.nanoseconds(Int64($0 * 1e9)) }

    public init() {
        // Counters that exist before their first event, so a query sees 0 rather than nothing.
        _ = registry.makeCounter(name: "kafka_server_replicamanager_isrshrinks_total", help: "ISR shrinks of partitions this node leads")
        _ = registry.makeCounter(name: "kafka_server_replicamanager_isrexpands_total", help: "ISR expansions of partitions this node leads")
    }

    // MARK: served

    /// One request answered (or closed) after `duration`: `kafka_network_requestmetrics_requests_total`
    /// and `kafka_network_requestmetrics_total_time_seconds` (Kafka's RequestsPerSec and TotalTimeMs) by API.
    func requestServed(api: String, listener: String, duration: Duration) {
        let labels = [("request", api), ("listener", listener)]
        registry.makeCounter(name: "kafka_network_requestmetrics_requests_total", labels: labels,
                             help: "Requests served, by API and listener").increment()
        registry.makeDurationHistogram(name: "kafka_network_requestmetrics_total_time_seconds", labels: labels,
                                       buckets: Self.requestTimeBuckets,
                                       help: "Time from reading a request to its answer, by API and listener").record(duration)
    }

    /// The per-topic counters: Kafka's BrokerTopicMetrics.
    static let messagesIn = (name: "kafka_server_brokertopicmetrics_messages_in_total", help: "Records appended by producers, by topic")
    static let bytesIn = (name: "kafka_server_brokertopicmetrics_bytes_in_total", help: "Record bytes appended by producers, by topic")
    static let bytesOut = (name: "kafka_server_brokertopicmetrics_bytes_out_total", help: "Record bytes sent to fetchers, by topic")

    /// Records appended to `topic` by a producer (Kafka's MessagesInPerSec and BytesInPerSec).
    func produced(topic: String, messages: Int, bytes: Int) {
        registry.makeCounter(name: Self.messagesIn.name, labels: [("topic", topic)], help: Self.messagesIn.help).increment(by: Int64(messages))
        registry.makeCounter(name: Self.bytesIn.name, labels: [("topic", topic)], help: Self.bytesIn.help).increment(by: Int64(bytes))
    }

    /// Record bytes sent to consumers or followers from `topic` (Kafka's BytesOutPerSec).
    func fetched(topic: String, bytes: Int) {
        registry.makeCounter(name: Self.bytesOut.name, labels: [("topic", topic)], help: Self.bytesOut.help).increment(by: Int64(bytes))
    }

    /// A produce request whose records had to be flushed waited `duration` for it (Kafka's LogFlushRateAndTimeMs).
    func logFlushed(duration: Duration) {
        registry.makeDurationHistogram(name: "kafka_log_logflushstats_log_flush_time_seconds", buckets: Self.requestTimeBuckets,
                                       help: "Time to flush appended records to disk").record(duration)
    }

    /// ISR changes of the partitions this node leads, as committed (Kafka's IsrShrinksPerSec and
    /// IsrExpandsPerSec): a metadata publisher compares each changed partition with its previous state.
    func isrChanged(delta: MetadataDelta, image: MetadataImage, nodeID: Int32) {
        var shrinks = 0, expands = 0
        for id in delta.changedTopicIDs {
            guard let now = image.topicsByID[id], let before = delta.base.topicsByID[id] else { continue }
            for (index, p) in now.partitions {
                guard let old = before.partitions[index], p.leader == nodeID, old.leader == nodeID else { continue }
                let (a, b) = (Set(old.isr), Set(p.isr))
                if b.isStrictSubset(of: a) { shrinks += 1 }
                if a.isStrictSubset(of: b) { expands += 1 }
            }
        }
        if shrinks > 0 {
            registry.makeCounter(name: "kafka_server_replicamanager_isrshrinks_total", help: "ISR shrinks of partitions this node leads")
                .increment(by: Int64(shrinks))
        }
        if expands > 0 {
            registry.makeCounter(name: "kafka_server_replicamanager_isrexpands_total", help: "ISR expansions of partitions this node leads")
                .increment(by: Int64(expands))
        }
    }

    /// A deleted topic's counters leave the registry, as Kafka's `BrokerTopicStats.removeMetrics` drops
    /// them: a topic created again under the name starts from zero, and the output does not grow with
    /// every topic that ever existed.
    func topicsRemoved(delta: MetadataDelta) {
        for topic in delta.removedTopics.values {
            let labels = [("topic", topic.name)]
            // The help text must be the one the counter was made with (swift-prometheus traps otherwise).
            for metric in [Self.messagesIn, Self.bytesIn, Self.bytesOut] {
                registry.unregisterCounter(registry.makeCounter(name: metric.name, labels: labels, help: metric.help))
            }
        }
    }

    // MARK: scraped

    /// One gauge value read at scrape time.
    public struct GaugeSample: Sendable {
        public var name: String
        public var labels: [(String, String)]
        public var value: Double
        public var help: String

        public init(_ name: String, _ labels: [(String, String)] = [], _ value: Double, help: String) {
            self.name = name
            self.labels = labels
            self.value = value
            self.help = help
        }
    }

    private struct GaugeKey: Hashable {
        var name: String
        var labels: [String]
    }

    public func setCollector(_ collect: @escaping @Sendable () async -> [GaugeSample]) {
        collector.withLockedValue { $0 = collect }
    }

    /// The Prometheus text exposition of every metric, gauges read now.
    public func scrape() async -> [UInt8] {
        if let collect = collector.withLockedValue({ $0 }) { refresh(await collect()) }
        return registry.emitToBuffer()
    }

    private func refresh(_ samples: [GaugeSample]) {
        var seen = Set<GaugeKey>()
        for sample in samples {
            let key = GaugeKey(name: sample.name, labels: sample.labels.flatMap { [$0.0, $0.1] })
            seen.insert(key)
            let gauge = gauges.withLockedValue { g in
                if let existing = g[key] { return existing }
                let made = registry.makeGauge(name: sample.name, labels: sample.labels, help: sample.help)
                g[key] = made
                return made
            }
            gauge.set(sample.value)
        }
        let gone = gauges.withLockedValue { g -> [Gauge] in
            let stale = g.keys.filter { !seen.contains($0) }
            return stale.compactMap { g.removeValue(forKey: $0) }
        }
        for gauge in gone { registry.unregisterGauge(gauge) }
    }
}
