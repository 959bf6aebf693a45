import KafkaGroups
import KafkaProtocol

/// `--offsets-decoder`: a `__consumer_offsets` record's key and value as Kafka's dump tool shows them,
/// JSON objects `{"type":"<key version>","data":{...}}` and `{"version":"<value version>","data":{...}}`
/// with the fields of that version, and `<DELETE>` for a tombstone. Offset commits and classic group
/// metadata are spelled out field by field (member subscriptions and assignments as base64, where
/// Kafka decodes the consumer protocol); consumer (KIP-848) group records name their group and member.
enum OffsetsDecoder {
    static func format(key: [UInt8]?, value: [UInt8]?, offset: Int64) -> (key: String, payload: String?) {
        guard let key else {
            return ("Error at offset \(offset), skipping. Failed to decode message using offset topic decoder (message had a missing key)", nil)
        }
        let decoded: CoordinatorRecord.Decoded
        do {
            decoded = try CoordinatorRecord(key: key, value: value).decode()
        } catch {
            return ("Error at offset \(offset), skipping. \(error)", nil)
        }
        let valueVersion = value.flatMap { $0.count >= 2 ? Int16(bitPattern: UInt16($0[0]) << 8 | UInt16($0[1])) : nil }
        func payload(_ data: String?) -> String {
            guard let data, let valueVersion else { return "<DELETE>" }
            return "{\"version\":\"\(valueVersion)\",\"data\":\(data)}"
        }
        switch decoded {
        case .offsetCommit(let k, let v):
            let keyVersion = Int16(bitPattern: UInt16(key[0]) << 8 | UInt16(key[1]))
            let keyJSON = "{\"type\":\"\(keyVersion)\",\"data\":{\"group\":\(json(k.group)),\"topic\":\(json(k.topic)),\"partition\":\(k.partition)}}"
            return (keyJSON, payload(v.map { offsetCommitValue($0, version: valueVersion ?? 0) }))
        case .groupMetadata(let k, let v):
            return ("{\"type\":\"2\",\"data\":{\"group\":\(json(k.group))}}", payload(v.map(groupMetadataValue)))
        case .consumerGroup(let record):
            var fields = "\"groupId\":\(json(record.groupID))"
            if let member = memberID(record) { fields += ",\"memberId\":\(json(member))" }
            let keyVersion = Int16(bitPattern: UInt16(key[0]) << 8 | UInt16(key[1]))
            return ("{\"type\":\"\(keyVersion)\",\"data\":{\(fields)}}", payload(value == nil ? nil : json(String(describing: record))))
        case .unknown(let keyVersion):
            return ("Unknown record type \(keyVersion) at offset \(offset), skipping.", nil)
        }
    }

    /// OffsetCommitValue's fields in schema order: leaderEpoch from v3, expireTimestamp in v1 only.
    static func offsetCommitValue(_ v: OffsetCommitValue, version: Int16) -> String {
        var fields = ["\"offset\":\(v.offset)"]
        if version >= 3 { fields.append("\"leaderEpoch\":\(v.leaderEpoch)") }
        fields.append("\"metadata\":\(json(v.metadata))")
        fields.append("\"commitTimestamp\":\(v.commitTimestamp)")
        if version == 1 { fields.append("\"expireTimestamp\":\(v.expireTimestamp)") }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func groupMetadataValue(_ v: GroupMetadataValue) -> String {
        let members = v.members.map { m in
            "{\"memberId\":\(json(m.memberID)),\"groupInstanceId\":\(json(m.groupInstanceID)),\"clientId\":\(json(m.clientID)),"
                + "\"clientHost\":\(json(m.clientHost)),\"rebalanceTimeout\":\(m.rebalanceTimeout),\"sessionTimeout\":\(m.sessionTimeout),"
                + "\"subscription\":\(json(Base64.encoded(m.subscription))),\"assignment\":\(json(Base64.encoded(m.assignment)))}"
        }
        return "{\"protocolType\":\(json(v.protocolType)),\"generation\":\(v.generation),\"protocol\":\(json(v.protocol)),"
            + "\"leader\":\(json(v.leader)),\"currentStateTimestamp\":\(v.currentStateTimestamp),\"members\":[\(members.joined(separator: ","))]}"
    }

    static func memberID(_ record: ConsumerGroupRecord) -> String? {
        switch record {
        case .memberMetadata(_, let m, _), .targetAssignmentMember(_, let m, _), .currentMemberAssignment(_, let m, _): m
        default: nil
        }
    }

    /// A JSON string literal (or null).
    static func json(_ s: String?) -> String {
        s.map(JSONString.quoted) ?? "null"
    }
}
