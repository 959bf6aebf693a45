import KafkaProtocol
import KafkaMetadata
import NIOCore

/// A generated message as the JSON Kafka's `*JsonConverter`s write, for dump-log's decoders: fields in
/// schema order under Kafka's names (`topicId`, `brokerIds`: the Swift `ID` spelt `Id`), UUIDs and bytes
/// as base64 strings, nil as null, nested structs as objects. Unlike Kafka's converters it writes
/// every field, including those the record's version does not have (at their defaults).
enum MessageJSON {
    static func write(_ value: Any) -> String {
        switch value {
        case let v as String: return JSONString.quoted(v)
        case let v as Bool: return v ? "true" : "false"
        case let v as Int8: return String(v)
        case let v as Int16: return String(v)
        case let v as Int32: return String(v)
        case let v as Int64: return String(v)
        case let v as UInt16: return String(v)
        case let v as UInt32: return String(v)
        case let v as Int: return String(v)
        case let v as Double: return v.isFinite ? "\(v)" : "null"
        case let v as KafkaUUID: return JSONString.quoted(v.description)
        case let v as [UInt8]: return JSONString.quoted(Base64.encoded(v))
        default: break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            guard let wrapped = mirror.children.first?.value else { return "null" }
            return write(wrapped)
        case .collection, .set:
            return "[" + mirror.children.map { write($0.value) }.joined(separator: ",") + "]"
        case .struct, .class:
            return "{" + mirror.children.compactMap { child -> String? in
                guard let label = child.label, label != "unknownTaggedFields" else { return nil }
                return JSONString.quoted(kafkaName(label)) + ":" + write(child.value)
            }.joined(separator: ",") + "}"
        default:
            return JSONString.quoted("\(value)")
        }
    }

    /// `topicID` → `topicId`, `brokerIDs` → `brokerIds`.
    static func kafkaName(_ label: String) -> String {
        var out = ""
        var chars = Array(label)[...]
        while let c = chars.first {
            if c == "I", chars.dropFirst().first == "D" {
                out += "Id"
                chars = chars.dropFirst(2)
            } else {
                out.append(c)
                chars = chars.dropFirst()
            }
        }
        return out
    }

    /// `TopicRecord` → `TOPIC_RECORD`, as Kafka's `MetadataRecordType` names print.
    static func typeName(_ messageName: String) -> String {
        var out = ""
        for (i, c) in messageName.enumerated() {
            if c.isUppercase && i > 0 { out.append("_") }
            out.append(Character(c.uppercased()))
        }
        return out
    }
}

/// `--cluster-metadata-decoder`: a `__cluster_metadata` record's value as Kafka's
/// ClusterMetadataLogMessageParser prints it, `{"type":"TOPIC_RECORD","version":0,"data":{...}}`, or
/// "Error at O, skipping. ..." when it does not decode; and the KRaft control records of snapshots
/// and the metadata log (` SnapshotHeader {...}`, ` SnapshotFooter`, ` KRaftVersion`, ` KRaftVoters`).
enum ClusterMetadataDecoder {
    static func payload(_ value: [UInt8]?, offset: Int64) -> String {
        guard let value else { return "Error at \(offset), skipping. no value" }
        do {
            let item = try MetadataRecordSerde.decode(ByteBuffer(bytes: value))
            let name = typeName(of: item.record)
            return "{\"type\":\"\(MessageJSON.typeName(name))\",\"version\":\(item.version),\"data\":\(MessageJSON.write(item.record))}"
        } catch {
            return "Error at \(offset), skipping. \(error)"
        }
    }

    private static func typeName<R: KafkaMetadataRecord>(of record: R) -> String { R.messageName }

    /// The text after the record line for a KRaft control record, nil for other control types.
    static func control(type: Int16, value: [UInt8]?) -> String? {
        func decode<M: KafkaMessage>(_: M.Type, _ label: String) -> String {
            // The record's own first field is its version (Kafka reads the value whole, at that version).
            let b = ByteBuffer(bytes: value ?? [])
            guard let version = b.getInteger(at: b.readerIndex, as: Int16.self) else { return " \(label) invalid: no version" }
            do { return " \(label) " + MessageJSON.write(try M.decodeExactly(b, version: version)) } catch { return " \(label) invalid: \(error)" }
        }
        switch type {
        case 3: return decode(SnapshotHeaderRecord.self, "SnapshotHeader")
        case 4: return decode(SnapshotFooterRecord.self, "SnapshotFooter")
        case 5: return decode(KRaftVersionRecord.self, "KRaftVersion")
        case 6: return decode(VotersRecord.self, "KRaftVoters")
        default: return nil
        }
    }
}
