#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KafkaProtocol
import KafkaRecords

/// Why a log operation failed. Nothing in this module traps on file content: bytes on disk either
/// decode or produce one of these.
///
/// ``errorCode`` gives the Kafka error a broker answers with; ``corruptSegment(path:position:reason:)``
/// and ``io(operation:path:errno:)`` are KAFKA_STORAGE_ERROR, after which the partition should be taken
/// offline rather than written to.
public enum LogError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A system call failed (`errno` as it returned).
    case io(operation: String, path: String, errno: Int32)
    /// An offset outside the range the operation accepts: `[logStartOffset, logEndOffset]` for a fetch,
    /// `[logStartOffset, highWatermark]` for DeleteRecords.
    case offsetOutOfRange(offset: Int64, validRange: ClosedRange<Int64>)
    /// Append input that is not whole, well-framed v2 batches with valid CRCs.
    case invalidRecords(RecordBatchError)
    /// Append input that frames correctly but breaks a rule the log enforces (no batches, a control
    /// batch from a client, a producer batch without a sequence, lastOffsetDelta != recordCount - 1).
    case invalidBatch(String)
    /// One batch is larger than `max.message.bytes`.
    case messageTooLarge(size: Int, maximum: Int)
    /// The append is larger than a whole segment (`segment.bytes`) can hold.
    case recordListTooLarge(size: Int, segmentBytes: Int)
    /// The producer state rejected a batch (sequence, epoch).
    case producerState(ProducerStateError)
    /// A follower's append whose batch at `offset` starts below `expectedAtLeast`: the first batch below
    /// the log end offset (Kafka's `UnexpectedAppendOffsetException`), or a batch below the end of the
    /// one before it (Kafka's `OffsetsOutOfOrderException`). Nothing was written.
    case unexpectedAppendOffset(offset: Int64, expectedAtLeast: Int64)
    /// Bytes on disk that cannot be a torn write at the tail: a flushed segment that does not scan,
    /// or segments whose offsets overlap. Reported, never truncated away.
    case corruptSegment(path: String, position: Int64, reason: String)
    /// The log was closed or deleted.
    case closed
    /// An earlier storage failure (the one given) left the log's files in an unknown state; it refuses
    /// every operation until reopened, which recovers it (Kafka takes the log directory offline).
    case offline(String)
    /// An argument the operation does not accept.
    case invalidArgument(String)

    /// The error a broker returns for this failure.
    public var errorCode: ErrorCode {
        switch self {
        case .io, .corruptSegment, .closed, .offline: .kafkaStorageError
        case .offsetOutOfRange: .offsetOutOfRange
        case .invalidRecords: .corruptMessage
        case .invalidBatch: .invalidRecord
        case .messageTooLarge: .messageTooLarge
        case .recordListTooLarge: .recordListTooLarge
        case let .producerState(error): error.errorCode
        case .invalidArgument, .unexpectedAppendOffset: .unknownServerError
        }
    }

    public var description: String {
        switch self {
        case let .io(operation, path, errno):
            return "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))"
        case let .offsetOutOfRange(offset, range):
            return "offset \(offset) is out of range [\(range.lowerBound), \(range.upperBound)]"
        case let .invalidRecords(error): return "invalid records: \(error)"
        case let .invalidBatch(why): return "invalid batch: \(why)"
        case let .messageTooLarge(size, maximum): return "batch of \(size) bytes exceeds max.message.bytes \(maximum)"
        case let .recordListTooLarge(size, segmentBytes):
            return "append of \(size) bytes exceeds segment.bytes \(segmentBytes)"
        case let .producerState(error): return error.description
        case let .unexpectedAppendOffset(offset, expected):
            return "unexpected append offset: a batch starts at \(offset), below \(expected)"
        case let .corruptSegment(path, position, reason): return "corrupt segment \(path) at byte \(position): \(reason)"
        case .closed: return "the log is closed"
        case let .offline(cause): return "the log is offline after a storage failure: \(cause)"
        case let .invalidArgument(why): return "invalid argument: \(why)"
        }
    }
}
