import KafkaProtocol

/// One API a listener serves and the versions it advertises in ApiVersions, as its handler declares
/// them (`RequestHandler.versions`).
public struct ServedAPI: Sendable, Equatable, CustomStringConvertible {
    public var apiKey: APIKey
    public var versions: ClosedRange<Int16>

    public init(apiKey: APIKey, versions: ClosedRange<Int16>) {
        self.apiKey = apiKey
        self.versions = versions
    }

    public var description: String { "\(apiKey) \(versions.lowerBound)-\(versions.upperBound)" }
}

extension Array where Element == ServedAPI {
    /// The versions served of `key`, or nil when it is not served.
    public func versions(for key: APIKey) -> ClosedRange<Int16>? {
        first { $0.apiKey == key }?.versions
    }
}
