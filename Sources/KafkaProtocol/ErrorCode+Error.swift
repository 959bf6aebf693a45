/// A Kafka error code can be thrown or carried in a `Result` as it is.
extension ErrorCode: Error {}
