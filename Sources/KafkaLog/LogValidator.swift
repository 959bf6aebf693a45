import KafkaProtocol
import KafkaRecords
import NIOCore

/// Kafka's LogValidator: what is checked in records before a leader appends them, by who writes them
/// (`Origin`), and the error code each failure maps to. Nothing is written for records that fail.
///
/// Every origin (``frame(_:config:verifyCRC:allowControl:)``): whole, well-framed v2 batches with valid
/// CRCs (CORRUPT_MESSAGE), at least one; each no larger than `max.message.bytes` (MESSAGE_TOO_LARGE) or
/// `segment.bytes` (RECORD_LIST_TOO_LARGE); no control batch except from the metadata quorum; lastOffsetDelta
/// equal to recordCount - 1 and a sequence on every producer batch (INVALID_RECORD).
///
/// Clients (Produce) first, in this order:
/// - Produce v0-2 carry legacy message sets (magic 0/1): each message's CRC-32 is checked and the
///   set is up-converted to one v2 batch (same codec), which then goes through the checks below;
/// - exactly one batch, magic v2 (Produce v3+) — else INVALID_RECORD;
/// - a torn batch, a CRC mismatch, a record that does not parse — CORRUPT_MESSAGE;
/// - a batch larger than `max.message.bytes` — MESSAGE_TOO_LARGE;
/// - an unknown codec, or zstd before Produce v7 — UNSUPPORTED_COMPRESSION_TYPE;
/// - record counts or offset deltas that disagree with the header, control or transactional
///   batches from a client (no transactions yet) — INVALID_RECORD;
/// - a record without a key for a compacted topic — INVALID_RECORD;
/// - CreateTime timestamps outside `message.timestamp.before/after.max.ms` — INVALID_TIMESTAMP.
public enum LogValidator {
    /// Who is appending (Kafka's `AppendOrigin`).
    public enum Origin: Hashable, Sendable {
        /// A producer, through Produce at this version.
        case client(produceVersion: Int16)
        /// The broker's group coordinator (`__consumer_offsets`).
        case coordinator
        /// The metadata quorum (`__cluster_metadata`): its batches were just encoded with their CRCs, and
        /// its leader-change and voter records are control batches.
        case raftLeader
    }

    public struct Failure: Error, Hashable, Sendable {
        public var code: ErrorCode
        public var message: String
        /// The records that made the batch invalid, by index in the batch, with why (KIP-467; Produce
        /// v8+ returns them as RecordErrors). Empty when the batch as a whole is at fault.
        public var recordErrors: [RecordError] = []

        public struct RecordError: Hashable, Sendable {
            public var batchIndex: Int32
            public var message: String?
        }

        public init(code: ErrorCode, message: String, recordErrors: [RecordError] = []) {
            self.code = code
            self.message = message
            self.recordErrors = recordErrors
        }

        public init(_ error: LogError) {
            self.init(code: error.errorCode, message: error.description)
        }
    }

    /// The topic settings a client's records are checked against.
    public struct Limits: Sendable {
        public var maxMessageBytes: Int
        public var timestampBeforeMaxMs: Int64 = .max
        public var timestampAfterMaxMs: Int64 = .max
        public var logAppendTime: Bool = false
        /// `cleanup.policy` includes `compact`: every record needs a key (Kafka's rule), else INVALID_RECORD.
        public var requireKeys: Bool = false
        /// Bound on what this partition's records may inflate to while validated: what is left of the
        /// request's budget (Produce shares one budget among a request's partitions).
        public var decompressionLimit: Int

        public init(maxMessageBytes: Int, decompressionLimit: Int) {
            self.maxMessageBytes = maxMessageBytes
            self.decompressionLimit = decompressionLimit
        }
    }

    /// Validates `records` from `origin` for a log with `config`. Also returns how many bytes validating
    /// a client's records inflated, whether or not they then passed (charged to the request's budget).
    public static func validate(_ records: ByteBuffer?, origin: Origin, limits: Limits, config: LogConfig,
                                now: Int64) -> (result: Result<ValidatedRecords, Failure>, inflatedBytes: Int) {
        switch origin {
        case let .client(produceVersion):
            switch validateClient(records, produceVersion: produceVersion, limits: limits, now: now) {
            case let .success((batch, inflated)):
                return (framed(batch.bytes, config: config, verifyCRC: false, allowControl: false), inflated)
            case let .failure(failure):
                return (.failure(failure), 0)
            }
        case .coordinator:
            return (framed(records ?? ByteBuffer(), config: config, verifyCRC: true, allowControl: false), 0)
        case .raftLeader:
            return (framed(records ?? ByteBuffer(), config: config, verifyCRC: false, allowControl: true), 0)
        }
    }

    private static func framed(_ buffer: ByteBuffer, config: LogConfig, verifyCRC: Bool, allowControl: Bool) -> Result<ValidatedRecords, Failure> {
        do {
            return .success(try frame(buffer, config: config, verifyCRC: verifyCRC, allowControl: allowControl))
        } catch {
            return .failure(Failure(error))
        }
    }

    /// The checks every origin's records pass: the batches' start indices and headers. Rejects: a
    /// partial or corrupt batch, a CRC mismatch (when `verifyCRC`), no batches, a batch over
    /// `max.message.bytes` or `segment.bytes`, a control batch (unless `allowControl`), a batch whose
    /// lastOffsetDelta is not recordCount - 1, a producer batch without a sequence.
    public static func frame(_ buffer: ByteBuffer, config: LogConfig, verifyCRC: Bool,
                             allowControl: Bool) throws(LogError) -> ValidatedRecords {
        var starts: [Int] = []
        var headers: [RecordBatchHeader] = []
        var reader = RecordBatchReader(buffer)
        while true {
            let start = reader.buffer.readerIndex
            let batch: RecordBatch
            do {
                guard let next = try reader.next() else { break }
                batch = next
            } catch {
                throw .invalidRecords(error)
            }
            let header = batch.header
            guard header.totalSize <= config.maxMessageBytes else { throw .messageTooLarge(size: header.totalSize, maximum: config.maxMessageBytes) }
            guard header.totalSize <= config.segmentBytes else { throw .recordListTooLarge(size: header.totalSize, segmentBytes: config.segmentBytes) }
            if verifyCRC {
                do { try batch.verifyCRC() } catch { throw .invalidRecords(error) }
            }
            guard allowControl || !header.isControl else { throw .invalidBatch("control batches are not accepted from producers") }
            guard header.recordCount > 0, header.lastOffsetDelta == header.recordCount - 1 else {
                throw .invalidBatch("lastOffsetDelta \(header.lastOffsetDelta) with recordCount \(header.recordCount)")
            }
            // Markers (control batches) carry a producer id but no sequence.
            guard header.producerId < 0 || header.baseSequence >= 0 || header.isControl else {
                throw .invalidBatch("producer \(header.producerId) batch without a sequence number")
            }
            starts.append(start)
            headers.append(header)
        }
        if reader.truncatedTailBytes > 0 {
            throw .invalidRecords(RecordBatchError(.truncated(needed: RecordBatchHeader.logOverhead, available: reader.truncatedTailBytes)))
        }
        guard !headers.isEmpty else { throw .invalidBatch("no record batches") }
        return ValidatedRecords(buffer: buffer, starts: starts, headers: headers)
    }
}

/// Batches that passed ``LogValidator``, ready for ``PartitionLog/append(_:leaderEpoch:timestampType:now:)``:
/// the bytes as received, where each batch starts in them, and their headers.
public struct ValidatedRecords: Sendable {
    public let buffer: ByteBuffer
    let starts: [Int]
    public let headers: [RecordBatchHeader]
}
