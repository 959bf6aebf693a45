import KafkaGroups
import KafkaProtocol

extension Harness {
    /// Commits `offsets` ("t1-0": 5) and returns each partition's error, transcribed.
    @discardableResult
    mutating func commit(
        _ offsets: [String: Int64], group: String = "g", member: String? = nil, generation: Int32? = nil,
        version: Int16 = 8, metadata: String = "", retentionMs: Int64 = -1, commitTimestamp: Int64 = -1,
        leaderEpoch: Int32 = -1
    ) -> [String: ErrorCode] {
        var byTopic: [String: [OffsetCommitRequest.OffsetCommitRequestTopic.OffsetCommitRequestPartition]] = [:]
        for key in offsets.keys.sorted() {
            let (topic, partition) = Self.split(key)
            byTopic[topic, default: []].append(.init(
                partitionIndex: partition, committedOffset: offsets[key]!, committedLeaderEpoch: leaderEpoch,
                commitTimestamp: commitTimestamp, committedMetadata: metadata))
        }
        let request = OffsetCommitRequest(
            groupID: group,
            generationIDOrMemberEpoch: generation ?? (member == nil ? -1 : coordinator.groups[group]?.generationID ?? -1),
            memberID: member.map(id) ?? "", retentionTimeMs: retentionMs,
            topics: byTopic.keys.sorted().map { .init(name: $0, partitions: byTopic[$0]!) })
        let before = summaries()
        let outcome = coordinator.commitOffsets(request, version: version, now: now)
        var result: [String: ErrorCode] = [:]
        for t in outcome.response.topics { for p in t.partitions { result["\(t.name)-\(p.partitionIndex)"] = ErrorCode(rawValue: p.errorCode) } }
        lines.append("t=\(now) commit \(member ?? "simple")\(group == "g" ? "" : " group=\(group)") gen=\(request.generationIDOrMemberEpoch) \(offsets.keys.sorted().map { "\($0)=\(offsets[$0]!)" }.joined(separator: " "))")
        perform(outcome.actions, since: before)
        lines.append("  reply: " + result.keys.sorted().map { "\($0)=\(result[$0]!.name!)" }.joined(separator: " "))
        return result
    }

    /// The committed offsets of `partitions` ("t1-0"), -1 where none.
    func fetch(_ partitions: [String], group: String = "g") -> [String: Int64] {
        var byTopic: [String: [Int32]] = [:]
        for key in partitions { let (t, p) = Self.split(key); byTopic[t, default: []].append(p) }
        let r = coordinator.fetchOffsets(.init(groupID: group, topics: byTopic.keys.sorted().map { .init(name: $0, partitionIndexes: byTopic[$0]!) }))
        var result: [String: Int64] = [:]
        for t in r.topics { for p in t.partitions { result["\(t.name)-\(p.partitionIndex)"] = p.committedOffset } }
        return result
    }

    @discardableResult
    mutating func deleteOffsets(_ partitions: [String], group: String = "g") -> OffsetDeleteResponse {
        var byTopic: [String: [Int32]] = [:]
        for key in partitions { let (t, p) = Self.split(key); byTopic[t, default: []].append(p) }
        let request = OffsetDeleteRequest(groupID: group, topics: byTopic.keys.sorted().map { .init(name: $0, partitions: byTopic[$0]!.map { .init(partitionIndex: $0) }) })
        let before = summaries()
        let outcome = coordinator.deleteOffsets(request)
        lines.append("t=\(now) delete offsets \(partitions.joined(separator: " "))\(group == "g" ? "" : " group=\(group)")")
        perform(outcome.actions, since: before)
        let r = outcome.response
        lines.append("  reply: \(errorName(r.errorCode))" + r.topics.flatMap { t in t.partitions.map { " \(t.name)-\($0.partitionIndex)=\(errorName($0.errorCode))" } }.joined())
        return r
    }

    /// Runs offset retention at the current time.
    mutating func expireOffsets() {
        let before = summaries()
        let actions = coordinator.expireOffsets(now: now)
        lines.append("t=\(now) expire offsets")
        perform(actions, since: before)
    }

    static func split(_ key: String) -> (String, Int32) {
        let dash = key.lastIndex(of: "-")!
        return (String(key[..<dash]), Int32(key[key.index(after: dash)...])!)
    }
}
