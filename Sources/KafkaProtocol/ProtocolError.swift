/// A decoding or encoding failure, naming what failed: the message (API), the version and the field path.
///
/// Every read of untrusted bytes either returns a value or throws one of these; nothing traps and
/// nothing allocates more than the bytes actually present justify.
public struct ProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// Fewer bytes remain than the field needs.
        case truncated
        /// A length or count below -1 (or -1 where null is not allowed).
        case negativeLength(Int)
        /// A length or count larger than the bytes that remain.
        case lengthExceedsRemaining(Int)
        /// A varint longer than its type allows.
        case malformedVarint
        /// A string whose bytes are not UTF-8.
        case invalidUTF8
        /// A null where this version does not allow one.
        case nullNotAllowed
        /// The message has no such version.
        case unsupportedVersion
        /// Writing a non-default value in a version that lacks the field, and the field is not ignorable.
        case fieldNotInVersion
        /// A tagged field appeared twice, or tags were not in ascending order.
        case invalidTaggedFields
        /// Bytes remained after a complete message, or a tagged field's declared size did not match.
        case sizeMismatch(Int)
        /// Any other value the format forbids.
        case invalidValue(String)
    }

    public var kind: Kind
    /// Dotted path of the field, e.g. `Topics.Partitions.FetchOffset`.
    public var field: String
    /// The message name, e.g. `FetchRequest`, filled in by the message codec.
    public var message: String?
    /// The version being read or written, filled in by the message codec.
    public var version: Int16?

    public init(_ kind: Kind, field: String, message: String? = nil, version: Int16? = nil) {
        self.kind = kind
        self.field = field
        self.message = message
        self.version = version
    }

    /// The same error with the message name and version attached, when not already set.
    public func located(message: String, version: Int16) -> ProtocolError {
        var copy = self
        if copy.message == nil { copy.message = message }
        if copy.version == nil { copy.version = version }
        return copy
    }

    public var description: String {
        let where_ = [message.map { $0 }, version.map { "v\($0)" }].compactMap { $0 }.joined(separator: " ")
        return "\(where_.isEmpty ? "" : where_ + ": ")field \(field): \(kind)"
    }
}
