import KafkaProtocol
import NIOCore

/// What the group tells ListGroups, DescribeGroups, and the offset rules about itself.
extension ClassicGroup {
    /// ListGroups' entry: group type "classic"; state and type are dropped by older versions.
    public var listedGroup: ListGroupsResponse.ListedGroup {
        .init(groupID: groupID, protocolType: protocolType ?? "", groupState: state.rawValue, groupType: "classic")
    }

    /// DescribeGroups' entry: a Stable group shows each member's metadata for the selected protocol and
    /// names the protocol; otherwise members come without metadata and the protocol is blank.
    public var describedGroup: DescribeGroupsResponse.DescribedGroup {
        let stable = state == .stable
        return .init(
            groupID: groupID, groupState: state.rawValue, protocolType: protocolType ?? "",
            protocolData: stable ? (protocolName ?? "") : "",
            members: members.map { m in
                .init(
                    memberID: m.memberID, groupInstanceID: m.groupInstanceID, clientID: m.clientID,
                    clientHost: m.clientHost,
                    memberMetadata: stable ? (protocolName.flatMap(m.metadata(for:)) ?? []) : [],
                    memberAssignment: m.assignment)
            })
    }

    /// Kafka's `computeSubscribedTopics`: the union of the members' subscribed topics, read from the
    /// version-0 prefix every ConsumerProtocolSubscription shares. Nil when unknowable: not the consumer
    /// protocol, no protocol selected, or unreadable metadata.
    func computeSubscribedTopics() -> Set<String>? {
        guard protocolType == "consumer" else { return nil }
        if memberCount == 0 { return [] }
        guard let protocolName else { return nil }
        var topics: Set<String> = []
        for m in members {
            guard let metadata = m.metadata(for: protocolName), let t = Self.subscribedTopics(in: metadata) else { return nil }
            topics.formUnion(t)
        }
        return topics
    }

    static func subscribedTopics(in metadata: [UInt8]) -> [String]? {
        var buffer = ByteBuffer(bytes: metadata)
        guard let version = try? buffer.readKafkaInteger(Int16.self, field: "version"), version >= 0,
              let subscription = try? ConsumerProtocolSubscription.decode(from: &buffer, version: 0)
        else { return nil }
        return subscription.topics
    }

    /// Kafka's `isSubscribedToTopic`: when the topics are unknown, a consumer group counts as subscribed.
    public func isSubscribed(to topic: String) -> Bool {
        subscribedTopics.map { $0.contains(topic) } ?? usesConsumerProtocol
    }

    /// Kafka's `offsetExpirationCondition`: the base time offsets expire from, or nil when none may expire.
    /// An Empty group counts from when it became Empty (or the commit, for records without that time); a
    /// Stable consumer group from each commit, for topics it no longer subscribes to; a simple group
    /// (no protocol type) from each commit.
    func offsetExpirationBase(_ offset: OffsetAndMetadata) -> Int64? {
        guard protocolType != nil else { return offset.commitTimestamp }
        if state == .empty { return currentStateTimestamp ?? offset.commitTimestamp }
        if usesConsumerProtocol && subscribedTopics != nil && state == .stable { return offset.commitTimestamp }
        return nil
    }

    /// Whether any offsets of this group may expire at all right now.
    var hasOffsetExpirationCondition: Bool {
        protocolType == nil || state == .empty || (usesConsumerProtocol && subscribedTopics != nil && state == .stable)
    }
}
