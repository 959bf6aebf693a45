import KafkaController
import KafkaProtocol

/// DescribeUserScramCredentials: from this node's image (see `DescribeUserScramCredentials`); the
/// answer names mechanisms and iteration counts, never salts or keys.
struct DescribeUserScramCredentialsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...0

    let metadata: MetadataService

    func handle(_ request: DescribeUserScramCredentialsRequest, context: RequestContext) async -> DescribeUserScramCredentialsResponse? {
        DescribeUserScramCredentials.handle(request, image: metadata.image)
    }
}
