import KafkaProtocol

/// Group requests carry client strings (group, member and instance ids, protocol names, racks, topic
/// regexes) into `__consumer_offsets` records, whose key and value formats give every string an int16
/// length. Flexible request versions can carry longer ones; they are refused with INVALID_REQUEST before
/// reaching the coordinator, which could not write them. A topic regex is bounded more tightly: it is
/// compiled and run against every topic name.
enum GroupRequestLimits {
    static let maxStringBytes = Int(Int16.max)
    static let maxRegexBytes = 1024

    /// A message naming the first string that is too long, or nil when all fit.
    static func problem(_ strings: [String?]) -> String? {
        guard let long = strings.lazy.compactMap({ $0 }).first(where: { $0.utf8.count > maxStringBytes }) else { return nil }
        return "A string of \(long.utf8.count) bytes is longer than the \(maxStringBytes) bytes a group record can hold"
    }

    static func problem(_ request: JoinGroupRequest) -> String? {
        problem([request.groupID, request.memberID, request.groupInstanceID, request.protocolType] + request.protocols.map(\.name))
    }

    static func problem(_ request: SyncGroupRequest) -> String? {
        problem([request.groupID, request.memberID, request.groupInstanceID, request.protocolType, request.protocolName])
    }

    static func problem(_ request: OffsetCommitRequest) -> String? {
        problem([request.groupID, request.memberID, request.groupInstanceID])
    }

    static func problem(_ request: TxnOffsetCommitRequest) -> String? {
        problem([request.groupID, request.memberID, request.groupInstanceID])
    }

    static func problem(_ request: ConsumerGroupHeartbeatRequest) -> String? {
        if let regex = request.subscribedTopicRegex, regex.utf8.count > maxRegexBytes {
            return "A topic regex of \(regex.utf8.count) bytes is longer than the \(maxRegexBytes) bytes allowed"
        }
        return problem([request.groupID, request.memberID, request.instanceID, request.rackID, request.serverAssignor]
            + (request.subscribedTopicNames ?? []).map { $0 })
    }
}

extension KafkaMessage {
    /// The response, after a debug line saying why the request was refused.
    func logged(_ problem: String, context: RequestContext) -> Self {
        context.logger.debug("group request refused", metadata: ["reason": "\(problem)"])
        return self
    }
}
