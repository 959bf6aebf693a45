import KafkaController
import KafkaMetadata
import KafkaProtocol
import KafkaSecurity

/// ACLs: CreateAcls and DeleteAcls are decided by the active controller (`AclControl`, forwarded there
/// like the other administration) and stored as AccessControlEntryRecords; DescribeAcls reads this
/// node's authorizer. Each answer waits until this node's image has the change (at most 5 s), so the
/// client's next request here is decided by the ACLs it just wrote.
extension MetadataService {
    public func createAcls(_ request: CreateAclsRequest) async -> CreateAclsResponse {
        let answer = await controllerCall(request, version: CreateAclsRequest.validVersions.upperBound,
                                          local: { await self.createAclsAsController(request) },
                                          notController: { r in r.results.contains { $0.errorCode == ErrorCode.notController.rawValue } })
        guard let answer else {
            return Self.createAclsFailed(request, code: .notController, message: "No active controller answered in time")
        }
        let created = zip(request.creations, answer.results).filter { $0.1.errorCode == 0 }.map { StandardAcl(creation: $0.0) }
        if !created.isEmpty {
            _ = await publication.wait(until: { view in
                let present = Set(view.image.acls.values.map(StandardAcl.init(record:)))
                return created.allSatisfy(present.contains)
            }, deadlineMs: clock.nowMs() + 5_000)
        }
        return answer
    }

    /// nil when this node is not the active controller.
    func createAclsAsController(_ request: CreateAclsRequest) async -> CreateAclsResponse? {
        await asController({ generator, image in
            let (records, response) = AclControl.createAcls(request, existing: image.acls.mapValues(StandardAcl.init(record:)),
                                                            newID: { KafkaUUID.random(using: &generator) })
            return ControllerResult(records: records.map { MetadataRecordAndVersion($0, version: 0) }, response: response)
        }, failing: { response, code, message in
            for i in response.results.indices where response.results[i].errorCode == 0 {
                response.results[i].errorCode = code.rawValue
                response.results[i].errorMessage = message
            }
        })
    }

    public func deleteAcls(_ request: DeleteAclsRequest) async -> DeleteAclsResponse {
        let answer = await controllerCall(request, version: DeleteAclsRequest.validVersions.upperBound,
                                          local: { await self.deleteAclsAsController(request) },
                                          notController: { r in r.filterResults.contains { $0.errorCode == ErrorCode.notController.rawValue } })
        guard let answer else {
            return Self.deleteAclsFailed(request, code: .notController, message: "No active controller answered in time")
        }
        let removed = answer.filterResults.filter { $0.errorCode == 0 }.flatMap(\.matchingAcls).map(StandardAcl.init(matching:))
        if !removed.isEmpty {
            _ = await publication.wait(until: { view in
                let present = Set(view.image.acls.values.map(StandardAcl.init(record:)))
                return !removed.contains(where: present.contains)
            }, deadlineMs: clock.nowMs() + 5_000)
        }
        return answer
    }

    /// nil when this node is not the active controller.
    func deleteAclsAsController(_ request: DeleteAclsRequest) async -> DeleteAclsResponse? {
        await asController({ _, image in
            let (records, response) = AclControl.deleteAcls(request, existing: image.acls.mapValues(StandardAcl.init(record:)))
            return ControllerResult(records: records.map { MetadataRecordAndVersion($0, version: 0) }, response: response)
        }, failing: { response, code, message in
            for i in response.filterResults.indices where response.filterResults[i].errorCode == 0 {
                response.filterResults[i] = .init(errorCode: code.rawValue, errorMessage: message)
            }
        })
    }

    static func createAclsFailed(_ request: CreateAclsRequest, code: ErrorCode, message: String) -> CreateAclsResponse {
        CreateAclsResponse(results: request.creations.map { _ in .init(errorCode: code.rawValue, errorMessage: message) })
    }

    static func deleteAclsFailed(_ request: DeleteAclsRequest, code: ErrorCode, message: String) -> DeleteAclsResponse {
        DeleteAclsResponse(filterResults: request.filters.map { _ in .init(errorCode: code.rawValue, errorMessage: message) })
    }
}

extension StandardAcl {
    /// The ACL a DeleteAcls result reports as removed.
    init(matching m: DeleteAclsResponse.DeleteAclsFilterResult.DeleteAclsMatchingAcl) {
        self.init(resourceType: AclResourceType(code: m.resourceType), resourceName: m.resourceName,
                  patternType: AclPatternType(code: m.patternType), principal: m.principal, host: m.host,
                  operation: AclOperation(code: m.operation), permissionType: AclPermissionType(code: m.permissionType))
    }
}
