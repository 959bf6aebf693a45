import KafkaController
import KafkaProtocol

/// DescribeUserScramCredentials: from this node's image (see `DescribeUserScramCredentials`); the
/// answer names mechanisms and iteration counts, never salts or keys.
struct DescribeUserScramCredentialsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...0

    let metadata: MetadataService

    func handle(_ request: DescribeUserScramCredentialsRequest, context: RequestContext) async -> DescribeUserScramCredentialsResponse? {
        guard context.authorizeCluster(.describe) else {
            // Kafka's answer: the top-level error and one result per user asked for, each refused.
            return DescribeUserScramCredentialsResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue, errorMessage: nil,
                                                        results: (request.users ?? []).map { _ in
                                                            .init(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue, errorMessage: nil)
                                                        })
        }
        return DescribeUserScramCredentials.handle(request, image: metadata.image)
    }
}
