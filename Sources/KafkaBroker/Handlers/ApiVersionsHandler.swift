import KafkaController
import KafkaProtocol
import KafkaRaft
import NIOCore

/// ApiVersions: the APIs and versions this broker serves, plus (v3+) the finalized
/// features. A request in a version above ours is answered in v0 form with UNSUPPORTED_VERSION and
/// our ranges, so the client can retry with a version we know.
struct ApiVersionsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...4

    /// The listener's other APIs; ApiVersions itself is added.
    let apis: [ServedAPI]
    let finalizedFeatures: @Sendable () -> (epoch: Int64, levels: [String: Int16])

    static func apiKeys(_ apis: [ServedAPI]) -> [ApiVersionsResponse.ApiVersion] {
        var all = apis.filter { $0.apiKey != .apiVersions }
        all.append(ServedAPI(apiKey: .apiVersions, versions: versions))
        return all.sorted { $0.apiKey < $1.apiKey }.map {
            .init(apiKey: $0.apiKey.rawValue, minVersion: $0.versions.lowerBound, maxVersion: $0.versions.upperBound)
        }
    }

    /// The features this broker supports, by name: those of the metadata image (`StromFeatures`:
    /// eligible leader replicas, KIP-966, levels 0-1; metadata.version levels of Kafka 3.3 (IV3, 7) to
    /// 3.9 (IV0, 21); the transaction version, 0-2) and, as Kafka 3.9 lists it, the metadata quorum's
    /// kraft.version (0-1, KIP-853).
    static let supportedFeatures: [ApiVersionsResponse.SupportedFeatureKey] = {
        let kraft = VoterSet.KRaftVersionRange.strom
        let all = StromFeatures.supported + [(StromFeatures.kraftVersionName, kraft.minSupportedVersion...kraft.maxSupportedVersion)]
        return all.sorted { $0.name < $1.name }.map {
            .init(name: $0.name, minVersion: $0.levels.lowerBound, maxVersion: $0.levels.upperBound)
        }
    }()

    /// The supported features a request of `version` is told of: before v4, none whose range starts at
    /// 0, because Java clients before 3.9 refuse such a range (KAFKA-17492).
    static func supportedFeatures(forRequestVersion version: Int16) -> [ApiVersionsResponse.SupportedFeatureKey] {
        version >= 4 ? supportedFeatures : supportedFeatures.filter { $0.minVersion != 0 }
    }

    func handle(_ request: ApiVersionsRequest, context: RequestContext) async -> ApiVersionsResponse? {
        var response = ApiVersionsResponse(errorCode: 0, apiKeys: Self.apiKeys(apis))
        if context.apiVersion >= 3 && !(Self.validSoftwareString(request.clientSoftwareName) && Self.validSoftwareString(request.clientSoftwareVersion)) {
            // Kafka checks the client's self-description; a bad one is INVALID_REQUEST, still with our ranges.
            response.errorCode = ErrorCode.invalidRequest.rawValue
            return response
        }
        // librdkafka 2.0.2 mis-parses more than one tagged field, so tagged sections stay as small as
        // Kafka's own: features only when there are finalized ones to report.
        let features = finalizedFeatures()
        if context.apiVersion >= 3 && !features.levels.isEmpty {
            response.supportedFeatures = Self.supportedFeatures(forRequestVersion: context.apiVersion)
            response.finalizedFeaturesEpoch = features.epoch
            response.finalizedFeatures = features.levels.sorted { $0.key < $1.key }.map {
                .init(name: $0.key, maxVersionLevel: $0.value, minVersionLevel: $0.value)
            }
        }
        return response
    }

    /// Kafka's pattern for client software names and versions: `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`.
    static func validSoftwareString(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last else { return false }
        return isAlphanumeric(first) && isAlphanumeric(last)
            && s.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "-" || $0 == "." }
    }

    private static func isAlphanumeric(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")
    }

    /// The v0-format reply to an ApiVersions request in a version we do not serve.
    static func unsupportedVersionResponse(apis: [ServedAPI], correlationID: Int32) -> ByteBuffer? {
        let response = ApiVersionsResponse(errorCode: ErrorCode.unsupportedVersion.rawValue, apiKeys: apiKeys(apis))
        return try? response.encodeFrame(version: 0, correlationID: correlationID)
    }
}
