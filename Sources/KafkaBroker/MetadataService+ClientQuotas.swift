import KafkaController
import KafkaMetadata
import KafkaProtocol

/// Client quotas: AlterClientQuotas is decided by the active controller (forwarded there like the
/// topic administration) and stored as ClientQuotaRecords; DescribeClientQuotas reads this node's image.
extension MetadataService {
    public func alterClientQuotas(_ request: AlterClientQuotasRequest) async -> AlterClientQuotasResponse {
        let answer = await controllerCall(request, version: AlterClientQuotasRequest.validVersions.upperBound,
                                          local: { await self.alterClientQuotasAsController(request) },
                                          notController: { r in r.entries.contains { $0.errorCode == ErrorCode.notController.rawValue } })
        guard let answer else {
            var failed = Self.entries(of: request, code: .notController, message: "No active controller answered in time")
            failed.throttleTimeMs = 0
            return failed
        }
        // Read your writes: a forwarded change is answered once this node's image has it, so a
        // DescribeClientQuotas sent here next sees it (waits on publication, at most 5 s).
        if !request.validateOnly {
            let expected = Self.expectedQuotas(request, answer: answer)
            _ = await publication.wait(until: { view in expected.allSatisfy { view.image.clientQuotas[$0.entity]?[$0.key] == $0.value } },
                                       deadlineMs: clock.nowMs() + 5_000)
        }
        return answer
    }

    /// nil when this node is not the active controller.
    func alterClientQuotasAsController(_ request: AlterClientQuotasRequest) async -> AlterClientQuotasResponse? {
        await asController({ _, image in AlterClientQuotas.handle(request, image: image) }, failing: { response, code, message in
            for i in response.entries.indices where response.entries[i].errorCode == 0 {
                response.entries[i].errorCode = code.rawValue
                response.entries[i].errorMessage = message
            }
        })
    }

    /// Every entry of `request` answered with `code`.
    static func entries(of request: AlterClientQuotasRequest, code: ErrorCode, message: String) -> AlterClientQuotasResponse {
        AlterClientQuotasResponse(entries: request.entries.map {
            .init(errorCode: code.rawValue, errorMessage: message,
                  entity: $0.entity.map { .init(entityType: $0.entityType, entityName: $0.entityName) })
        })
    }

    /// What the image holds once the accepted entries are replayed: each op's key at its new value
    /// (nil: removed). Later entries for the same entity and key win.
    private static func expectedQuotas(_ request: AlterClientQuotasRequest, answer: AlterClientQuotasResponse)
        -> [(entity: ClientQuotaEntity, key: String, value: Double?)] {
        var out: [(entity: ClientQuotaEntity, key: String, value: Double?)] = []
        for (entry, result) in zip(request.entries, answer.entries) where result.errorCode == 0 {
            guard let entity = ClientQuotaEntity(entry.entity.map { .init(type: $0.entityType, name: $0.entityName) }) else { continue }
            for op in entry.ops {
                out.removeAll { $0.entity == entity && $0.key == op.key }
                out.append((entity, op.key, op.remove ? nil : op.value))
            }
        }
        return out
    }
}
