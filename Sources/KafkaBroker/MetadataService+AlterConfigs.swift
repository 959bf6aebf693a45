import KafkaController
import KafkaProtocol

/// AlterConfigs (the legacy, replacing form; see `KafkaController.AlterConfigs`): decided by the active
/// controller, forwarded there like IncrementalAlterConfigs.
extension MetadataService {
    public func alterConfigs(_ request: AlterConfigsRequest) async -> AlterConfigsResponse {
        let answer = await controllerCall(request, version: AlterConfigsRequest.validVersions.upperBound,
                                          local: { await self.alterConfigsAsController(request) },
                                          notController: { r in r.responses.contains { $0.errorCode == ErrorCode.notController.rawValue } })
        return answer ?? Self.alterConfigsFailed(request, code: .notController, message: "No active controller answered in time")
    }

    /// nil when this node is not the active controller.
    func alterConfigsAsController(_ request: AlterConfigsRequest) async -> AlterConfigsResponse? {
        await asController({ _, image in AlterConfigs.handle(request, image: image, knownKeys: self.config.knownKeys) }, failing: { response, code, message in
            for i in response.responses.indices where response.responses[i].errorCode == 0 {
                response.responses[i].errorCode = code.rawValue
                response.responses[i].errorMessage = message
            }
        })
    }

    static func alterConfigsFailed(_ request: AlterConfigsRequest, code: ErrorCode, message: String) -> AlterConfigsResponse {
        AlterConfigsResponse(responses: request.resources.map {
            .init(errorCode: code.rawValue, errorMessage: message, resourceType: $0.resourceType, resourceName: $0.resourceName)
        })
    }
}
