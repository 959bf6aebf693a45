import KafkaProtocol

// TEMPORARY until the controller branch lands.
extension MetadataService {
    func handleAlterPartition(_ request: AlterPartitionRequest) async -> AlterPartitionResponse? { nil }
}
