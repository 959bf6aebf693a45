import KafkaMetadata

/// What a controller operation decides: the records to commit to `__cluster_metadata` (possibly
/// none) and the response to send once they are committed.
public struct ControllerResult<Response: Sendable>: Sendable {
    public var records: [MetadataRecordAndVersion]
    public var response: Response

    public init(records: [MetadataRecordAndVersion] = [], response: Response) {
        self.records = records
        self.response = response
    }
}
