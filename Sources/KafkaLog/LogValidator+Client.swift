import KafkaProtocol
import KafkaRecords
import NIOCore

extension LogValidator {
    /// A client's checks (see ``LogValidator``), before the framing every origin gets: the single
    /// batch, and how many bytes validating it inflated.
    static func validateClient(_ records: ByteBuffer?, produceVersion: Int16, limits: Limits,
                               now: Int64) -> Result<(RecordBatch, Int), Failure> {
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
        var batch: RecordBatch
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
        if header.isTransactional && header.producerId < 0 {
            return .failure(Failure(code: .invalidRecord, message: "A transactional batch must carry a producer id"))
        }
        let summary: RecordWalkSummary
        do {
            // CRC first, as Kafka's validator does (a corrupt count is CORRUPT_MESSAGE, not INVALID_RECORD);
            // the framing step is then told not to compute it again. A structural walk checks every
            // record without copying any out.
            try batch.verifyCRC()
            summary = try batch.walkRecords(decompressionLimit: limits.decompressionLimit)
        } catch {
            return .failure(failure(for: error))
        }
        if limits.requireKeys && summary.keylessRecords > 0 {
            // Kafka's LogValidator: one RecordError per keyless record, and a message naming the first three.
            let why = "Compacted topic cannot accept message without key."
            let errors = summary.keylessIndexes.map { Failure.RecordError(batchIndex: $0, message: why) }
            let shown = errors.prefix(3).map { "RecordError(batchIndex=\($0.batchIndex), message='\(why)')" }.joined(separator: ", ")
            return .failure(Failure(code: .invalidRecord,
                                    message: "One or more records have been rejected due to \(errors.count) record errors in total, "
                                        + "and only showing the first three errors at most: [\(shown)]",
                                    recordErrors: errors))
        }
        if !limits.logAppendTime, let lowest = summary.minTimestamp, let highest = summary.maxTimestamp {
            if (limits.timestampBeforeMaxMs != .max && lowest < now &- limits.timestampBeforeMaxMs)
                || (limits.timestampAfterMaxMs != .max && highest > now &+ limits.timestampAfterMaxMs) {
                return .failure(Failure(code: .invalidTimestamp, message: "Record timestamps \(lowest)...\(highest) are out of the accepted range around \(now)"))
            }
        }
        // As Kafka's validator: a CreateTime batch is stored with its largest record timestamp as
        // maxTimestamp, whatever the producer put there (sarama 1.22 writes -1), so the time index,
        // ListOffsets by time and time retention see it; the CRC is recomputed (the bytes are copied).
        if !limits.logAppendTime, let highest = summary.maxTimestamp, highest != header.maxTimestamp {
            batch.setMaxTimestamp(highest)
        }
        return .success((batch, max(legacyInflated, summary.decompressedBytes)))
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
