import KafkaProtocol

/// The versions of each API this broker can serve. A listener advertises an entry only once a
/// handler for it is registered (see `RequestDispatcher.advertised`), so nothing is advertised that
/// does not work. Minimum versions follow Kafka 4.0 (KIP-896), which dropped the oldest versions
/// except where stock clients still need them.
public enum SupportedAPIs {
    public struct Entry: Sendable {
        public var apiKey: APIKey
        public var versions: ClosedRange<Int16>
    }

    public static let all: [Entry] = [
        // v0-2 (legacy message sets, up-converted) stay: librdkafka up to 2.9 compresses with gzip,
        // snappy or lz4 only when the broker's Produce range includes v0.
        Entry(apiKey: .produce, versions: 0...11),
        Entry(apiKey: .fetch, versions: 4...17),
        Entry(apiKey: .listOffsets, versions: 1...9),
        Entry(apiKey: .metadata, versions: 0...12),
        // v0 stays: librdkafka enables LZ4 only when FindCoordinator v0 is served.
        Entry(apiKey: .findCoordinator, versions: 0...6),
        Entry(apiKey: .apiVersions, versions: 0...4),
        Entry(apiKey: .createTopics, versions: 2...7),
        Entry(apiKey: .deleteTopics, versions: 1...6),
        Entry(apiKey: .initProducerID, versions: 0...5),
        Entry(apiKey: .describeConfigs, versions: 1...4),
        Entry(apiKey: .deleteRecords, versions: 0...2),
        Entry(apiKey: .createPartitions, versions: 0...3),
        Entry(apiKey: .incrementalAlterConfigs, versions: 0...1),
        Entry(apiKey: .describeClientQuotas, versions: 0...1),
        Entry(apiKey: .alterClientQuotas, versions: 0...1),
        Entry(apiKey: .describeCluster, versions: 0...1),
        Entry(apiKey: .describeQuorum, versions: 0...2),
        // Classic consumer groups. OffsetCommit v1 stays for sarama 1.22; JoinGroup v0 for
        // librdkafka's feature detection.
        Entry(apiKey: .joinGroup, versions: 0...9),
        Entry(apiKey: .syncGroup, versions: 0...5),
        Entry(apiKey: .heartbeat, versions: 0...4),
        Entry(apiKey: .leaveGroup, versions: 0...5),
        Entry(apiKey: .offsetCommit, versions: 1...9),
        Entry(apiKey: .offsetFetch, versions: 1...9),
        Entry(apiKey: .offsetDelete, versions: 0...0),
        Entry(apiKey: .listGroups, versions: 0...5),
        Entry(apiKey: .describeGroups, versions: 0...5),
        Entry(apiKey: .deleteGroups, versions: 0...2),
        // Consumer (KIP-848) groups. Heartbeat v1 is Kafka 4.0's (regex, client-minted member ids):
        // librdkafka 2.16 sends nothing older. Describe v1 (Kafka 4.0) adds the member type.
        Entry(apiKey: .consumerGroupHeartbeat, versions: 0...1),
        Entry(apiKey: .consumerGroupDescribe, versions: 0...1),
        // The controller listener: the KRaft quorum (Vote v2 is Kafka 4.0's, carrying KIP-996 pre-votes)
        // and the broker-to-controller APIs.
        Entry(apiKey: .vote, versions: 0...2),
        Entry(apiKey: .beginQuorumEpoch, versions: 0...1),
        Entry(apiKey: .endQuorumEpoch, versions: 0...1),
        Entry(apiKey: .fetchSnapshot, versions: 0...1),
        Entry(apiKey: .brokerRegistration, versions: 0...4),
        Entry(apiKey: .brokerHeartbeat, versions: 0...1),
        Entry(apiKey: .allocateProducerIDs, versions: 0...0),
        // KIP-853 dynamic voters.
        Entry(apiKey: .addRaftVoter, versions: 0...0),
        Entry(apiKey: .removeRaftVoter, versions: 0...0),
        Entry(apiKey: .updateRaftVoter, versions: 0...0),
    ]

    public static func versions(for key: APIKey) -> ClosedRange<Int16>? {
        all.first { $0.apiKey == key }?.versions
    }
}
