import NIOCore

/// Coordinator records (`__consumer_offsets`, `__transaction_state`) store each key and value as an
/// int16 version followed by the message of that version (Kafka's `MessageUtil.toVersionPrefixedBytes`).
extension KafkaMessage {
    /// The version, then the message. A version this message cannot encode is a programming error.
    public func versionPrefixedBytes(version: Int16) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeInteger(version)
        do {
            try encode(to: &buffer, version: version)
        } catch {
            preconditionFailure("\(Self.messageName) v\(version) failed to encode: \(error)")
        }
        return Array(buffer.readableBytesView)
    }

    /// Reads a version-prefixed message. A version newer than this build knows is read as the newest
    /// known one: newer writers only append fields, and Kafka's loaders read the prefix they know.
    public static func decodeVersionPrefixed(_ bytes: [UInt8]) throws(ProtocolError) -> Self {
        var buffer = ByteBuffer(bytes: bytes)
        let version = try buffer.readKafkaInteger(Int16.self, field: "\(messageName).version")
        return try decode(from: &buffer, version: min(version, validVersions.upperBound))
    }
}
