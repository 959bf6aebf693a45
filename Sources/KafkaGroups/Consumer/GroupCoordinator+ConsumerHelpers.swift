import KafkaProtocol

/// Replaying a consumer group's own records into it, sessions, and v0 member ids.
extension GroupCoordinator {
    /// Replays records this coordinator produced into `group` (and the classic side, for a classic
    /// group tombstone), as a load would.
    mutating func apply(_ records: [CoordinatorRecord], to group: inout ConsumerGroup) {
        for record in records {
            let decoded: CoordinatorRecord.Decoded
            do { decoded = try record.decode() } catch { preconditionFailure("a record written here failed to decode: \(error)") }
            if case .consumerGroup(let r) = decoded, r.groupID == group.groupID {
                group.replay(r)
            } else {
                replay(decoded)
            }
        }
    }

    mutating func scheduleSession(_ memberID: String, in group: inout ConsumerGroup, now: Int64, actions: inout [GroupAction]) {
        let deadline = now + Int64(config.consumerSessionTimeoutMs)
        group.sessionDeadlines[memberID] = deadline
        actions.append(.scheduleTimeout(.consumerSession(groupID: group.groupID, memberID: memberID), deadline: deadline))
    }
}

extension MemberIDGenerator {
    /// A member id as Kafka 3.9 mints one for ConsumerGroupHeartbeat v0: `Uuid.randomUuid().toString()`,
    /// 22 characters of URL-safe base64.
    mutating func nextKafkaUUIDString() -> String {
        let high = nextWord(), low = nextWord()
        return KafkaUUID(mostSignificantBits: high, leastSignificantBits: low).description
    }
}
