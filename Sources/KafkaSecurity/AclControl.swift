import KafkaProtocol

/// CreateAcls, DeleteAcls and DescribeAcls decided as Kafka decides them: the broker's checks in
/// `AclApis` followed by the controller's in `AclControlManager`. Pure: the caller passes the ACLs
/// currently in the metadata image (by record id), commits the records returned, and sends the
/// response once they are committed.
public enum AclControl {
    /// Kafka's `QuorumController.MAX_RECORDS_PER_USER_OP`: one request creates or removes at most this
    /// many ACLs.
    public static let maxRecordsPerUserOperation = 10_000

    /// The only name a CLUSTER ACL may have.
    public static let clusterName = "kafka-cluster"

    // MARK: CreateAcls

    /// Each creation gets one result, in request order. A creation that passes `validate` is
    /// successful; its ACL is stored (as an AccessControlEntryRecord under `newID()`, drawn again while
    /// the id is taken) unless the same ACL already exists or appeared earlier in the request; those
    /// succeed without a record, as in Kafka. More than `maxRecordsPerUserOperation` new ACLs fail
    /// every creation with POLICY_VIOLATION (Kafka's controller's answer to an overlong batch) and
    /// store nothing.
    public static func createAcls(_ request: CreateAclsRequest, existing: [KafkaUUID: StandardAcl],
                                  newID: () -> KafkaUUID) -> (records: [AccessControlEntryRecord], response: CreateAclsResponse) {
        typealias Result = CreateAclsResponse.AclCreationResult
        let existingAcls = Set(existing.values)
        var created: Set<StandardAcl> = []
        var usedIDs: Set<KafkaUUID> = []
        var records: [AccessControlEntryRecord] = []
        var response = CreateAclsResponse()
        for creation in request.creations {
            let acl = StandardAcl(creation: creation)
            if let (code, message) = validate(acl) {
                response.results.append(Result(errorCode: code.rawValue, errorMessage: message))
                continue
            }
            if !existingAcls.contains(acl) && created.insert(acl).inserted {
                var id = newID()
                while existing[id] != nil || usedIDs.contains(id) { id = newID() }
                usedIDs.insert(id)
                records.append(acl.record(id: id))
            }
            response.results.append(Result(errorCode: ErrorCode.noError.rawValue, errorMessage: nil))
        }
        if records.count > maxRecordsPerUserOperation {
            let message = "Unable to perform excessively large batch operation."
            response.results = request.creations.map { _ in Result(errorCode: ErrorCode.policyViolation.rawValue, errorMessage: message) }
            return ([], response)
        }
        return (records, response)
    }

    /// Why an ACL may not be created, as (error, message), or nil when it may. In order: the broker's
    /// checks (a CLUSTER ACL must name `kafka-cluster`; the name must not be empty), then the
    /// controller's (`AclControlManager.validateNewAcl`): resource type not UNKNOWN or ANY, pattern
    /// LITERAL or PREFIXED, operation not UNKNOWN or ANY, permission DENY or ALLOW, a non-empty name, a
    /// principal with a colon, a non-empty host. All INVALID_REQUEST, except a CIDR host (one with a
    /// '/'), which is UNSUPPORTED_VERSION: Strom's metadata versions predate CIDR ACLs (4.4-IV1).
    public static func validate(_ acl: StandardAcl) -> (ErrorCode, String)? {
        if acl.resourceType == .cluster && acl.resourceName != clusterName {
            return (.invalidRequest, "The only valid name for the CLUSTER resource is \(clusterName)")
        }
        if acl.resourceName.isEmpty { return (.invalidRequest, "Invalid empty resource name") }
        switch acl.resourceType {
        case .unknown, .any: return (.invalidRequest, "Invalid resourceType \(acl.resourceType)")
        default: break
        }
        switch acl.patternType {
        case .literal, .prefixed: break
        default: return (.invalidRequest, "Invalid patternType \(acl.patternType)")
        }
        switch acl.operation {
        case .unknown, .any: return (.invalidRequest, "Invalid operation \(acl.operation)")
        default: break
        }
        switch acl.permissionType {
        case .deny, .allow: break
        default: return (.invalidRequest, "Invalid permissionType \(acl.permissionType)")
        }
        if !acl.principal.contains(":") {
            return (.invalidRequest, "Could not parse principal from `\(acl.principal)` "
                + "(no colon is present separating the principal type from the principal name)")
        }
        if acl.host.isEmpty { return (.invalidRequest, "Host pattern cannot be null or empty") }
        if acl.host != StandardAcl.wildcard && acl.host.contains("/") {
            return (.unsupportedVersion, "CIDR-based ACL host patterns require metadata version 4.4-IV1 or higher.")
        }
        return nil
    }

    // MARK: DeleteAcls

    /// Each filter gets one result listing every existing ACL it matches (in Kafka's ACL order); each
    /// matched ACL is removed once (RemoveAccessControlEntryRecord), however many filters match it. A
    /// filter whose resource type or pattern type is UNKNOWN fails with INVALID_REQUEST "Unknown
    /// patternFilter.", one whose operation or permission is UNKNOWN with "Unknown entryFilter.".
    /// Removing more than `maxRecordsPerUserOperation` ACLs fails every filter with INVALID_REQUEST and
    /// removes nothing, as Kafka refuses to report a partial deletion.
    public static func deleteAcls(_ request: DeleteAclsRequest, existing: [KafkaUUID: StandardAcl])
        -> (records: [RemoveAccessControlEntryRecord], response: DeleteAclsResponse) {
        typealias FilterResult = DeleteAclsResponse.DeleteAclsFilterResult
        let ordered = existing.sorted { $0.value < $1.value }
        var removed: Set<KafkaUUID> = []
        var records: [RemoveAccessControlEntryRecord] = []
        var response = DeleteAclsResponse()
        for wireFilter in request.filters {
            let filter = AclBindingFilter(wireFilter)
            if filter.patternFilterIsUnknown {
                response.filterResults.append(FilterResult(errorCode: ErrorCode.invalidRequest.rawValue, errorMessage: "Unknown patternFilter."))
                continue
            }
            if filter.entryFilterIsUnknown {
                response.filterResults.append(FilterResult(errorCode: ErrorCode.invalidRequest.rawValue, errorMessage: "Unknown entryFilter."))
                continue
            }
            var result = FilterResult(errorCode: ErrorCode.noError.rawValue, errorMessage: nil)
            for (id, acl) in ordered where filter.matches(acl) {
                if removed.count >= maxRecordsPerUserOperation {
                    let message = "Cannot remove more than \(maxRecordsPerUserOperation) acls in a single delete operation."
                    response.filterResults = request.filters.map { _ in
                        FilterResult(errorCode: ErrorCode.invalidRequest.rawValue, errorMessage: message)
                    }
                    return ([], response)
                }
                result.matchingAcls.append(matchingAcl(acl))
                if removed.insert(id).inserted { records.append(RemoveAccessControlEntryRecord(id: id)) }
            }
            response.filterResults.append(result)
        }
        return (records, response)
    }

    static func matchingAcl(_ acl: StandardAcl) -> DeleteAclsResponse.DeleteAclsFilterResult.DeleteAclsMatchingAcl {
        .init(errorCode: ErrorCode.noError.rawValue, errorMessage: nil, resourceType: acl.resourceType.rawValue,
              resourceName: acl.resourceName, patternType: acl.patternType.rawValue, principal: acl.principal,
              host: acl.host, operation: acl.operation.rawValue, permissionType: acl.permissionType.rawValue)
    }

    // MARK: DescribeAcls

    /// The ACLs the request's filter matches, grouped by resource pattern (type, name, pattern type)
    /// as Kafka's `DescribeAclsResponse.aclsResources` groups them; resources and their entries come in
    /// Kafka's ACL order (Kafka's own order is a hash map's). A filter with a field of code 0 (UNKNOWN)
    /// is INVALID_REQUEST (Kafka refuses such a request when parsing it); other unknown codes match nothing.
    public static func describeAcls(_ request: DescribeAclsRequest, acls: some Sequence<StandardAcl>) -> DescribeAclsResponse {
        var response = DescribeAclsResponse()
        if request.resourceTypeFilter == 0 || request.patternTypeFilter == 0 || request.operation == 0 || request.permissionType == 0 {
            response.errorCode = ErrorCode.invalidRequest.rawValue
            response.errorMessage = "DescribeAclsRequest contains UNKNOWN elements"
            return response
        }
        let filter = AclBindingFilter(request)
        typealias Resource = DescribeAclsResponse.DescribeAclsResource
        for acl in Set(acls.filter(filter.matches)).sorted() {
            let description = Resource.AclDescription(principal: acl.principal, host: acl.host,
                                                      operation: acl.operation.rawValue, permissionType: acl.permissionType.rawValue)
            if let last = response.resources.last, last.resourceType == acl.resourceType.rawValue,
               last.resourceName == acl.resourceName, last.patternType == acl.patternType.rawValue {
                response.resources[response.resources.count - 1].acls.append(description)
            } else {
                response.resources.append(Resource(resourceType: acl.resourceType.rawValue, resourceName: acl.resourceName,
                                                   patternType: acl.patternType.rawValue, acls: [description]))
            }
        }
        response.errorMessage = nil
        return response
    }

    // MARK: No authorizer

    /// CreateAcls when no authorizer is configured: SECURITY_DISABLED for every creation.
    public static func createAclsSecurityDisabled(_ request: CreateAclsRequest) -> CreateAclsResponse {
        CreateAclsResponse(results: request.creations.map { _ in
            .init(errorCode: ErrorCode.securityDisabled.rawValue, errorMessage: "No Authorizer is configured.")
        })
    }

    /// DeleteAcls when no authorizer is configured: SECURITY_DISABLED for every filter.
    public static func deleteAclsSecurityDisabled(_ request: DeleteAclsRequest) -> DeleteAclsResponse {
        DeleteAclsResponse(filterResults: request.filters.map { _ in
            .init(errorCode: ErrorCode.securityDisabled.rawValue, errorMessage: "No Authorizer is configured.")
        })
    }

    /// DescribeAcls when no authorizer is configured.
    public static func describeAclsSecurityDisabled() -> DescribeAclsResponse {
        DescribeAclsResponse(errorCode: ErrorCode.securityDisabled.rawValue, errorMessage: "No Authorizer is configured on the broker")
    }
}
