import KafkaMetadata

/// Durable storage for `__cluster_metadata`: records are appended in batches and are committed
/// once `append` returns (with a single voter, durable means committed).
public protocol MetadataLogStore: AnyObject, Sendable {
    /// The offset the next record will get.
    var logEndOffset: Int64 { get }
    /// Appends the records as one batch written at `epoch` and makes them durable; returns the
    /// offset of the last one.
    func append(_ records: [MetadataRecordAndVersion], epoch: Int32, now: Int64) throws -> Int64
    /// Every committed record, in order, with its offset and the epoch it was written in.
    func readAll() throws -> [(offset: Int64, epoch: Int32, record: MetadataRecordAndVersion)]
}

/// Keeps the metadata log in memory: for tests of the layers above storage.
public final class InMemoryMetadataLogStore: MetadataLogStore, @unchecked Sendable {
    private var entries: [(offset: Int64, epoch: Int32, record: MetadataRecordAndVersion)] = []

    public init() {}

    public var logEndOffset: Int64 { Int64(entries.count) }

    public func append(_ records: [MetadataRecordAndVersion], epoch: Int32, now: Int64) throws -> Int64 {
        for r in records { entries.append((Int64(entries.count), epoch, r)) }
        return Int64(entries.count) - 1
    }

    public func readAll() throws -> [(offset: Int64, epoch: Int32, record: MetadataRecordAndVersion)] { entries }
}
