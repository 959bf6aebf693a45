import KafkaProtocol
import KafkaRecords
import NIOCore

/// What Kafka checks in one partition's records before appending them (its LogValidator), and
/// the error code each failure maps to. Nothing is written for a partition that fails.
///
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
public enum ProduceValidation {
    public struct Failure: Error, Hashable, Sendable {
        public var code: ErrorCode
        public var message: String
    }

    public struct Limits: Sendable {
        public var maxMessageBytes: Int
        public var timestampBeforeMaxMs: Int64 = .max
        public var timestampAfterMaxMs: Int64 = .max
        public var logAppendTime: Bool = false
        /// `cleanup.policy` includes `compact`: every record needs a key (Kafka's rule), else INVALID_RECORD.
        public var requireKeys: Bool = false
        /// Bound on what this partition's records may inflate to while validated: what is left of the
        /// request's budget (`ProduceHandler` shares one budget among a request's partitions).
        public var decompressionLimit: Int

        public init(maxMessageBytes: Int, decompressionLimit: Int) {
            self.maxMessageBytes = maxMessageBytes
            self.decompressionLimit = decompressionLimit
        }
    }

    /// The single batch, and how many bytes validating it inflated (charged to the request's budget).
    public struct Validated: Sendable {
        public var batch: RecordBatch
        public var inflatedBytes: Int
    }

    /// Validates and returns the single batch.
    public static func validate(_ records: ByteBuffer?, produceVersion: Int16, limits: Limits, now: Int64) -> Result<Validated, Failure> {
        var records = records
        var legacyInflated = 0
        if produceVersion < 3, let legacy = records, legacy.readableBytes > 0 {
            guard legacy.readableBytes <= limits.maxMessageBytes else {
                return .failure(Failure(code: .messageTooLarge,
                                        message: "The message set of \(legacy.readableBytes) bytes is larger than max.message.bytes (\(limits.maxMessageBytes))"))
            }
            do {
                let parsed = try LegacyMessageSet.parse(legacy, decompressionLimit: limits.decompressionLimit)
                legacyInflated = parsed.inflatedBytes
                records = try LegacyMessageSet.upConvert(parsed).bytes
            } catch {
                return .failure(failure(for: error))
            }
        }
        guard let records, records.readableBytes > 0 else {
            return .failure(Failure(code: .invalidRecord, message: "Produce requests must carry one record batch per partition; this one has none"))
        }
        var reader = RecordBatchReader(records)
        let batch: RecordBatch
        do {
            guard let first = try reader.next() else {
                return .failure(Failure(code: .corruptMessage, message: "The record batch is truncated (\(records.readableBytes) bytes)"))
            }
            batch = first
            if reader.remainingBytes > 0 {
                return .failure(Failure(code: .invalidRecord,
                                        message: "Produce requests with version 3 and above must carry exactly one record batch per partition"))
            }
        } catch {
            return .failure(failure(for: error))
        }
        let header = batch.header
        if header.totalSize > limits.maxMessageBytes {
            return .failure(Failure(code: .messageTooLarge,
                                    message: "The batch of \(header.totalSize) bytes is larger than max.message.bytes (\(limits.maxMessageBytes))"))
        }
        if header.compression == .zstd && produceVersion < 7 {
            return .failure(Failure(code: .unsupportedCompressionType, message: "zstd needs Produce v7 or later"))
        }
        if header.isControl {
            return .failure(Failure(code: .invalidRecord, message: "Clients cannot write control batches"))
        }
        if header.isTransactional {
            return .failure(Failure(code: .invalidRecord, message: "Transactional batches are not supported by Strom yet"))
        }
        let summary: RecordWalkSummary
        do {
            // CRC first, as Kafka's validator does (a corrupt count is CORRUPT_MESSAGE, not INVALID_RECORD);
            // the append is then told not to compute it again. A structural walk checks every record
            // without copying any out.
            try batch.verifyCRC()
            summary = try batch.walkRecords(decompressionLimit: limits.decompressionLimit)
        } catch {
            return .failure(failure(for: error))
        }
        if limits.requireKeys && summary.keylessRecords > 0 {
            return .failure(Failure(code: .invalidRecord,
                                    message: "Compacted topic cannot accept message without key (\(summary.keylessRecords) of \(summary.recordCount) records have none)"))
        }
        if !limits.logAppendTime, let lowest = summary.minTimestamp, let highest = summary.maxTimestamp {
            if (limits.timestampBeforeMaxMs != .max && lowest < now &- limits.timestampBeforeMaxMs)
                || (limits.timestampAfterMaxMs != .max && highest > now &+ limits.timestampAfterMaxMs) {
                return .failure(Failure(code: .invalidTimestamp, message: "Record timestamps \(lowest)...\(highest) are out of the accepted range around \(now)"))
            }
        }
        return .success(Validated(batch: batch, inflatedBytes: max(legacyInflated, summary.decompressedBytes)))
    }

    static func failure(for error: RecordBatchError) -> Failure {
        let code: ErrorCode
        switch error.kind {
        case .truncated, .invalidBatchLength, .crcMismatch, .trailingBytes, .malformedRecord:
            code = .corruptMessage
        case .batchTooLarge:
            code = .messageTooLarge
        case .unsupportedCompression:
            code = .unsupportedCompressionType
        case let .decompression(inner):
            if case .limitExceeded = inner.kind { code = .invalidRecord } else { code = .corruptMessage }
        case .unsupportedMagic, .invalidRecordCount, .recordCountMismatch, .invalidOffsetDelta, .lastOffsetDeltaMismatch,
             .emptyBatch, .invalidControlRecord, .invalidLegacyMessageSet:
            code = .invalidRecord
        }
        return Failure(code: code, message: error.description)
    }
}
