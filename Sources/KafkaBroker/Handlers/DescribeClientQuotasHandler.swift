import KafkaController
import KafkaProtocol

/// DescribeClientQuotas: the quotas in this node's metadata image that match the filter.
struct DescribeClientQuotasHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...1

    let metadata: MetadataService

    func handle(_ request: DescribeClientQuotasRequest, context: RequestContext) async -> DescribeClientQuotasResponse? {
        guard context.authorizeCluster(.describeConfigs) else {
            return DescribeClientQuotasResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue,
                                                errorMessage: AuthorizationFailure.message(for: .cluster), entries: nil)
        }
        return DescribeClientQuotas.handle(request, image: metadata.image)
    }
}
