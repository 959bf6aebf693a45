import KafkaController
import KafkaMetadata
import KafkaProtocol

/// UpdateFeatures: decided by the active controller (`KafkaController.UpdateFeatures`), forwarded there
/// from any other node, answered once the FeatureLevelRecords are committed and, on the node that
/// forwarded them, replayed here too (read your writes: a client that asks this node's ApiVersions
/// next sees the new levels; waits at most 5 s).
extension MetadataService {
    public func updateFeatures(_ request: UpdateFeaturesRequest, version: Int16) async -> UpdateFeaturesResponse {
        let answer = await controllerCall(request, version: version,
                                          local: { await self.updateFeaturesAsController(request, version: version) },
                                          notController: { $0.errorCode == ErrorCode.notController.rawValue })
        guard let answer else { return Self.failedUpdate(code: .notController, message: "No active controller answered in time") }
        let accepted = Set(answer.results.filter { $0.errorCode == 0 }.map(\.feature))
        let expected = request.featureUpdates.filter { accepted.contains($0.feature) && $0.feature != StromFeatures.kraftVersionName }
        if !request.validateOnly && !expected.isEmpty {
            // The last mention of a feature is the one decided.
            let levels = Dictionary(expected.map { ($0.feature, $0.maxVersionLevel) }, uniquingKeysWith: { _, last in last })
            _ = await publication.wait(until: { view in levels.allSatisfy { view.image.features[$0.key] == $0.value } },
                                       deadlineMs: clock.nowMs() + 5_000)
        }
        return answer
    }

    /// nil when this node is not the active controller.
    func updateFeaturesAsController(_ request: UpdateFeaturesRequest, version: Int16) async -> UpdateFeaturesResponse? {
        let quorum = await quorumForFeatures()
        let response = await asController({ _, image in UpdateFeatures.handle(request, version: version, image: image, quorum: quorum) },
                                          failing: { response, code, message in response = Self.failedUpdate(code: code, message: message) })
        if let response {
            let levels = response.results.map { "\($0.feature)=\($0.errorCode == 0 ? "ok" : "\(ErrorCode(rawValue: $0.errorCode))")" }
            logger.info("UpdateFeatures decided", metadata: ["features": "\(levels.joined(separator: ", "))", "validate_only": "\(request.validateOnly)"])
        }
        return response
    }

    /// A request-level error, as Kafka's `UpdateFeaturesResponse.createWithErrors`: the code and message
    /// at the top, no per-feature results.
    static func failedUpdate(code: ErrorCode, message: String) -> UpdateFeaturesResponse {
        UpdateFeaturesResponse(errorCode: code.rawValue, errorMessage: message)
    }
}
