import KafkaController
import KafkaProtocol

/// DescribeClientQuotas: the quotas in this node's metadata image that match the filter.
struct DescribeClientQuotasHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...1

    let metadata: MetadataService

    func handle(_ request: DescribeClientQuotasRequest, context: RequestContext) async -> DescribeClientQuotasResponse? {
        DescribeClientQuotas.handle(request, image: metadata.image)
    }
}
