import KafkaProtocol
import KafkaSecurity
import Testing

struct AclControlTests {
    typealias Creation = CreateAclsRequest.AclCreation

    static func creation(_ name: String = "orders", type: AclResourceType = .topic, pattern: AclPatternType = .literal,
                         principal: String = "User:alice", host: String = "*", operation: AclOperation = .read,
                         permission: AclPermissionType = .allow) -> Creation {
        Creation(resourceType: type.rawValue, resourceName: name, resourcePatternType: pattern.rawValue, principal: principal,
                 host: host, operation: operation.rawValue, permissionType: permission.rawValue)
    }

    static func acl(_ name: String, _ pattern: AclPatternType = .literal, type: AclResourceType = .topic,
                    principal: String = "User:alice", host: String = "*", operation: AclOperation = .read,
                    permission: AclPermissionType = .allow) -> StandardAcl {
        StandardAcl(resourceType: type, resourceName: name, patternType: pattern, principal: principal, host: host,
                    operation: operation, permissionType: permission)
    }

    static func id(_ n: UInt64) -> KafkaUUID { KafkaUUID(mostSignificantBits: 7, leastSignificantBits: n) }

    /// Hands out ids 1, 2, 3, ...
    final class IDs {
        var next: UInt64 = 0
        func draw() -> KafkaUUID { next += 1; return AclControlTests.id(next) }
    }

    @Test func validCreationsBecomeRecordsWithFreshIDs() {
        let ids = IDs()
        let existing = [Self.id(1): Self.acl("other")]
        let request = CreateAclsRequest(creations: [Self.creation("orders"), Self.creation("pay-", pattern: .prefixed, operation: .write)])
        let (records, response) = AclControl.createAcls(request, existing: existing, newID: ids.draw)
        #expect(response.results == [.init(errorCode: 0, errorMessage: nil), .init(errorCode: 0, errorMessage: nil)])
        // Id 1 is taken, so it is drawn again.
        #expect(records.map(\.id) == [Self.id(2), Self.id(3)])
        #expect(records.map(StandardAcl.init(record:)) == [Self.acl("orders"), Self.acl("pay-", .prefixed, operation: .write)])
        #expect(records[0].patternType == 3 && records[0].operation == 3 && records[0].permissionType == 3 && records[0].resourceType == 2)
    }

    @Test func duplicatesSucceedWithoutASecondRecord() {
        let existing = [Self.id(100): Self.acl("orders")]
        let request = CreateAclsRequest(creations: [Self.creation("orders"), Self.creation("new"), Self.creation("new")])
        let (records, response) = AclControl.createAcls(request, existing: existing, newID: IDs().draw)
        #expect(response.results.map(\.errorCode) == [0, 0, 0])
        #expect(records.map(StandardAcl.init(record:)) == [Self.acl("new")])
    }

    @Test func invalidCreationsFailAloneWithKafkasMessages() {
        let cases: [(Creation, ErrorCode, String)] = [
            (Self.creation(type: .unknown), .invalidRequest, "Invalid resourceType UNKNOWN"),
            (Self.creation(type: .any), .invalidRequest, "Invalid resourceType ANY"),
            (Creation(resourceType: 99, resourceName: "orders", resourcePatternType: 3, principal: "User:a", host: "*",
                      operation: 3, permissionType: 3), .invalidRequest, "Invalid resourceType UNKNOWN"),
            (Self.creation(pattern: .any), .invalidRequest, "Invalid patternType ANY"),
            (Self.creation(pattern: .match), .invalidRequest, "Invalid patternType MATCH"),
            (Self.creation(pattern: .unknown), .invalidRequest, "Invalid patternType UNKNOWN"),
            (Self.creation(operation: .any), .invalidRequest, "Invalid operation ANY"),
            (Self.creation(operation: .unknown), .invalidRequest, "Invalid operation UNKNOWN"),
            (Self.creation(permission: .any), .invalidRequest, "Invalid permissionType ANY"),
            (Self.creation(permission: .unknown), .invalidRequest, "Invalid permissionType UNKNOWN"),
            (Self.creation(""), .invalidRequest, "Invalid empty resource name"),
            (Self.creation("my-cluster", type: .cluster, operation: .alter), .invalidRequest,
             "The only valid name for the CLUSTER resource is kafka-cluster"),
            (Self.creation(principal: "alice"), .invalidRequest,
             "Could not parse principal from `alice` (no colon is present separating the principal type from the principal name)"),
            (Self.creation(host: ""), .invalidRequest, "Host pattern cannot be null or empty"),
            (Self.creation(host: "10.0.0.0/8"), .unsupportedVersion,
             "CIDR-based ACL host patterns require metadata version 4.4-IV1 or higher."),
        ]
        for (bad, code, message) in cases {
            let request = CreateAclsRequest(creations: [Self.creation("before"), bad, Self.creation("after")])
            let (records, response) = AclControl.createAcls(request, existing: [:], newID: IDs().draw)
            #expect(response.results.map(\.errorCode) == [0, code.rawValue, 0], "\(message)")
            #expect(response.results[1].errorMessage == message)
            #expect(records.map(\.resourceName) == ["before", "after"], "\(message)")
        }
        // The valid edge cases: the cluster's own name, an address, a principal with an empty name.
        let fine = CreateAclsRequest(creations: [Self.creation("kafka-cluster", type: .cluster, operation: .alter),
                                                 Self.creation(host: "10.0.0.1"), Self.creation(principal: "User:"),
                                                 Self.creation(operation: .all, permission: .deny)])
        #expect(AclControl.createAcls(fine, existing: [:], newID: IDs().draw).response.results.map(\.errorCode) == [0, 0, 0, 0])
    }

    @Test func deleteListsEveryMatchPerFilterAndRemovesEachOnce() {
        let existing = [
            Self.id(1): Self.acl("orders"),
            Self.id(2): Self.acl("orders", principal: "User:bob", operation: .write),
            Self.id(3): Self.acl("ord", .prefixed),
            Self.id(4): Self.acl("payments"),
            Self.id(5): Self.acl("orders", type: .group),
        ]
        let byName = DeleteAclsRequest.DeleteAclsFilter(resourceTypeFilter: 2, resourceNameFilter: "orders", patternTypeFilter: 3,
                                                        principalFilter: nil, hostFilter: nil, operation: 1, permissionType: 1)
        let alicesReads = DeleteAclsRequest.DeleteAclsFilter(resourceTypeFilter: 1, resourceNameFilter: nil, patternTypeFilter: 1,
                                                             principalFilter: "User:alice", hostFilter: "*", operation: 3, permissionType: 3)
        let (records, response) = AclControl.deleteAcls(DeleteAclsRequest(filters: [byName, alicesReads]), existing: existing)
        #expect(response.filterResults.map(\.errorCode) == [0, 0])
        #expect(response.filterResults.map { $0.errorMessage == nil } == [true, true])
        let first = response.filterResults[0].matchingAcls
        #expect(Set(first.map(\.principal)) == ["User:alice", "User:bob"])
        #expect(first.allSatisfy { $0.resourceName == "orders" && $0.resourceType == 2 && $0.patternType == 3 && $0.errorMessage == nil })
        // Alice's READ ALLOWs anywhere: orders (topic and group), ord*, payments.
        #expect(response.filterResults[1].matchingAcls.count == 4)
        #expect(Set(records.map(\.id)) == [Self.id(1), Self.id(2), Self.id(3), Self.id(4), Self.id(5)])
        #expect(records.count == 5)
    }

    @Test func deleteRefusesUnknownFiltersOneByOne() {
        let existing = [Self.id(1): Self.acl("orders")]
        let unknownType = DeleteAclsRequest.DeleteAclsFilter(resourceTypeFilter: 0, resourceNameFilter: nil, patternTypeFilter: 1,
                                                             principalFilter: nil, hostFilter: nil, operation: 1, permissionType: 1)
        let unknownPattern = DeleteAclsRequest.DeleteAclsFilter(resourceTypeFilter: 1, resourceNameFilter: nil, patternTypeFilter: 42,
                                                                principalFilter: nil, hostFilter: nil, operation: 1, permissionType: 1)
        let unknownOperation = DeleteAclsRequest.DeleteAclsFilter(resourceTypeFilter: 1, resourceNameFilter: nil, patternTypeFilter: 1,
                                                                  principalFilter: nil, hostFilter: nil, operation: 0, permissionType: 1)
        let everything = DeleteAclsRequest.DeleteAclsFilter(resourceTypeFilter: 1, resourceNameFilter: nil, patternTypeFilter: 1,
                                                            principalFilter: nil, hostFilter: nil, operation: 1, permissionType: 1)
        let (records, response) = AclControl.deleteAcls(
            DeleteAclsRequest(filters: [unknownType, unknownPattern, unknownOperation, everything]), existing: existing)
        #expect(response.filterResults.map(\.errorCode) == [42, 42, 42, 0])
        #expect(response.filterResults.map(\.errorMessage) == ["Unknown patternFilter.", "Unknown patternFilter.", "Unknown entryFilter.", nil])
        #expect(response.filterResults[3].matchingAcls.map(\.resourceName) == ["orders"])
        #expect(records == [RemoveAccessControlEntryRecord(id: Self.id(1))])
    }

    @Test func deleteOfTooManyAclsRemovesNothing() {
        var existing: [KafkaUUID: StandardAcl] = [:]
        for i in 0...AclControl.maxRecordsPerUserOperation { existing[Self.id(UInt64(i))] = Self.acl("t\(i)") }
        let everything = DeleteAclsRequest.DeleteAclsFilter(resourceTypeFilter: 1, resourceNameFilter: nil, patternTypeFilter: 1,
                                                            principalFilter: nil, hostFilter: nil, operation: 1, permissionType: 1)
        let (records, response) = AclControl.deleteAcls(DeleteAclsRequest(filters: [everything]), existing: existing)
        #expect(records.isEmpty)
        #expect(response.filterResults.map(\.errorCode) == [ErrorCode.invalidRequest.rawValue])
        #expect(response.filterResults[0].errorMessage == "Cannot remove more than 10000 acls in a single delete operation.")
    }

    @Test func filterPatternRules() {
        let literal = Self.acl("orders")
        let star = Self.acl("*")
        let prefix = Self.acl("ord", .prefixed)
        let other = Self.acl("payments")
        let all = [literal, star, prefix, other]
        func selected(_ filter: AclBindingFilter) -> [StandardAcl] { all.filter(filter.matches) }
        // MATCH: every ACL that would apply to the topic `orders`.
        #expect(selected(AclBindingFilter(resourceType: .topic, resourceName: "orders", patternType: .match)) == [literal, star, prefix])
        // ANY: the name must be equal, whatever the pattern type.
        #expect(selected(AclBindingFilter(resourceName: "ord", patternType: .any)) == [prefix])
        #expect(selected(AclBindingFilter(resourceName: "orders", patternType: .any)) == [literal])
        // An exact pattern type and name.
        #expect(selected(AclBindingFilter(resourceName: "ord", patternType: .literal)) == [])
        #expect(selected(AclBindingFilter(resourceName: "*", patternType: .literal)) == [star])
        // No name: everything of the pattern type.
        #expect(selected(AclBindingFilter(patternType: .prefixed)) == [prefix])
        #expect(selected(AclBindingFilter(patternType: .match)) == all)
        #expect(selected(.any) == all)
        #expect(selected(AclBindingFilter(resourceType: .group)) == [])
        // Principal and host in a filter are exact strings: `User:*` selects only ACLs written for `User:*`.
        let everyone = Self.acl("orders", principal: "User:*", host: "10.0.0.1")
        #expect(!AclBindingFilter(principal: "User:*").matches(literal))
        #expect(AclBindingFilter(principal: "User:*").matches(everyone))
        #expect(!AclBindingFilter(host: "10.0.0.1").matches(literal))
        #expect(AclBindingFilter(host: "10.0.0.1").matches(everyone))
        #expect(!AclBindingFilter(operation: .write).matches(literal))
        #expect(!AclBindingFilter(permissionType: .deny).matches(literal))
        #expect(AclBindingFilter(operation: .read, permissionType: .allow).matches(literal))
    }

    @Test func describeGroupsByResourcePattern() {
        let acls = [
            Self.acl("orders"),
            Self.acl("orders", principal: "User:bob", operation: .write),
            Self.acl("orders", .prefixed),
            Self.acl("orders", type: .group),
            Self.acl("payments"),
        ]
        let request = DescribeAclsRequest(resourceTypeFilter: 2, resourceNameFilter: "orders", patternTypeFilter: 1,
                                          principalFilter: nil, hostFilter: nil, operation: 1, permissionType: 1)
        let response = AclControl.describeAcls(request, acls: acls)
        #expect(response.errorCode == 0)
        #expect(response.errorMessage == nil)
        typealias Resource = DescribeAclsResponse.DescribeAclsResource
        #expect(response.resources == [
            Resource(resourceType: 2, resourceName: "orders", patternType: 3, acls: [
                .init(principal: "User:alice", host: "*", operation: 3, permissionType: 3),
                .init(principal: "User:bob", host: "*", operation: 4, permissionType: 3),
            ]),
            Resource(resourceType: 2, resourceName: "orders", patternType: 4, acls: [
                .init(principal: "User:alice", host: "*", operation: 3, permissionType: 3),
            ]),
        ])
        // Everything: five ACLs under four resource patterns.
        let everything = DescribeAclsRequest(resourceTypeFilter: 1, resourceNameFilter: nil, patternTypeFilter: 1,
                                             principalFilter: nil, hostFilter: nil, operation: 1, permissionType: 1)
        let all = AclControl.describeAcls(everything, acls: acls)
        #expect(all.resources.count == 4)
        #expect(all.resources.flatMap(\.acls).count == 5)
    }

    @Test func describeRefusesUnknownAndDisabledSecurityIsSaid() {
        let unknown = DescribeAclsRequest(resourceTypeFilter: 0, resourceNameFilter: nil, patternTypeFilter: 1,
                                          principalFilter: nil, hostFilter: nil, operation: 1, permissionType: 1)
        let response = AclControl.describeAcls(unknown, acls: [Self.acl("orders")])
        #expect(response.errorCode == ErrorCode.invalidRequest.rawValue)
        #expect(response.resources.isEmpty)

        #expect(AclControl.describeAclsSecurityDisabled().errorCode == ErrorCode.securityDisabled.rawValue)
        let create = AclControl.createAclsSecurityDisabled(CreateAclsRequest(creations: [Self.creation(), Self.creation()]))
        #expect(create.results.map(\.errorCode) == [54, 54])
        let delete = AclControl.deleteAclsSecurityDisabled(DeleteAclsRequest(filters: [.init()]))
        #expect(delete.filterResults.map(\.errorCode) == [54])
    }

    @Test func recordsRoundTripAndUnknownCodesReadAsUnknown() {
        let acl = Self.acl("tx", .prefixed, type: .transactionalId, principal: "User:*", host: "10.0.0.1",
                           operation: .idempotentWrite, permission: .deny)
        let record = acl.record(id: Self.id(9))
        #expect(record.id == Self.id(9))
        #expect(StandardAcl(record: record) == acl)
        let odd = AccessControlEntryRecord(id: Self.id(1), resourceType: 50, resourceName: "x", patternType: 9, principal: "User:a",
                                           host: "*", operation: 77, permissionType: 5)
        let read = StandardAcl(record: odd)
        #expect([read.resourceType == .unknown, read.patternType == .unknown, read.operation == .unknown,
                 read.permissionType == .unknown] == [true, true, true, true])
        #expect(AclOperation.allCases.map(\.rawValue) == Array(0...14))
        #expect(AclResourceType.allCases.map(\.rawValue) == Array(0...7))
        #expect(AclOperation.clusterAction.description == "CLUSTER_ACTION")
        #expect(AclResourceType.delegationToken.pascalCaseName == "DelegationToken")
    }
}
