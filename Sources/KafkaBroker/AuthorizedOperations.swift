/// Kafka's ACL operation bits, for the "authorized operations" fields. Strom has no ACLs yet, so
/// every operation a resource type supports is allowed.
enum AuthorizedOperations {
    // READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10,
    // ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12.
    static let topic: Int32 = bits([3, 4, 5, 6, 7, 8, 10, 11])
    static let cluster: Int32 = bits([5, 7, 8, 9, 10, 11, 12])
    static let group: Int32 = bits([3, 6, 8])
    /// Kafka's "not requested" marker.
    static let omitted = Int32.min

    private static func bits(_ ops: [Int32]) -> Int32 { ops.reduce(0) { $0 | (1 << $1) } }
}
