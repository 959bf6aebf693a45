import KafkaProtocol
import KafkaSecurity
import Testing

struct AuthorizerTests {
    static let alice = KafkaPrincipal(name: "alice")
    static let bob = KafkaPrincipal(name: "bob")

    static func acl(_ name: String, _ operation: AclOperation, _ permission: AclPermissionType = .allow,
                    type: AclResourceType = .topic, pattern: AclPatternType = .literal,
                    principal: String = "User:alice", host: String = "*") -> StandardAcl {
        StandardAcl(resourceType: type, resourceName: name, patternType: pattern, principal: principal, host: host,
                    operation: operation, permissionType: permission)
    }

    static func authorizer(_ acls: [StandardAcl], superUsers: Set<String> = [], allowEveryone: Bool = false) -> StandardAuthorizer {
        var authorizer = StandardAuthorizer(superUsers: superUsers, allowEveryoneIfNoAclFound: allowEveryone)
        for (i, acl) in acls.enumerated() {
            authorizer.replay(acl.record(id: KafkaUUID(mostSignificantBits: 1, leastSignificantBits: UInt64(i + 1))))
        }
        return authorizer
    }

    static func decide(_ authorizer: StandardAuthorizer, _ operation: AclOperation, _ name: String,
                       type: AclResourceType = .topic, as principal: KafkaPrincipal = alice,
                       host: String = "10.0.0.1") -> AuthorizationResult {
        authorizer.authorize(principal: principal, host: host, operation: operation, resourceType: type, resourceName: name)
    }

    @Test func literalAllowMatchesOnlyItsNameTypeAndOperation() {
        let allow = Self.acl("orders", .read)
        let a = Self.authorizer([allow])
        #expect(Self.decide(a, .read, "orders") == .allowedByAcl(allow))
        #expect(Self.decide(a, .read, "orders2") == .noAclFound(allowEveryone: false))
        #expect(Self.decide(a, .read, "order") == .noAclFound(allowEveryone: false))
        #expect(Self.decide(a, .write, "orders") == .noAclAllows)
        #expect(Self.decide(a, .read, "orders", type: .group) == .noAclFound(allowEveryone: false))
        #expect(Self.decide(a, .read, "orders", as: Self.bob) == .noAclAllows)
        #expect(!Self.decide(a, .read, "orders", as: Self.bob).isAllowed)
    }

    @Test func prefixedAclCoversNamesStartingWithIt() {
        let allow = Self.acl("orders-", .write, pattern: .prefixed)
        let a = Self.authorizer([allow])
        #expect(Self.decide(a, .write, "orders-eu") == .allowedByAcl(allow))
        #expect(Self.decide(a, .write, "orders-") == .allowedByAcl(allow))
        #expect(Self.decide(a, .write, "orders") == .noAclFound(allowEveryone: false))
        #expect(Self.decide(a, .write, "xorders-eu") == .noAclFound(allowEveryone: false))
    }

    @Test func literalStarCoversEveryNameButPrefixedStarOnlyStarNames() {
        let any = Self.acl("*", .read)
        let a = Self.authorizer([any])
        #expect(Self.decide(a, .read, "anything") == .allowedByAcl(any))
        #expect(Self.decide(a, .read, "anything", type: .group) == .noAclFound(allowEveryone: false))
        let starPrefix = Self.acl("*", .read, pattern: .prefixed)
        let b = Self.authorizer([starPrefix])
        #expect(Self.decide(b, .read, "anything") == .noAclFound(allowEveryone: false))
        #expect(Self.decide(b, .read, "*x") == .allowedByAcl(starPrefix))
    }

    @Test func wildcardPrincipalMatchesEveryPrincipalWhateverItsType() {
        let everyone = Self.acl("orders", .read, principal: "User:*")
        let a = Self.authorizer([everyone])
        #expect(Self.decide(a, .read, "orders", as: Self.bob) == .allowedByAcl(everyone))
        #expect(Self.decide(a, .read, "orders", as: KafkaPrincipal(type: "Group", name: "ops")) == .allowedByAcl(everyone))
        #expect(Self.decide(a, .read, "orders", as: .anonymous) == .allowedByAcl(everyone))
        // Only `User:*` is a wildcard; `Group:*` names a principal literally called `*`.
        let groupStar = Self.acl("orders", .read, principal: "Group:*")
        let b = Self.authorizer([groupStar])
        #expect(Self.decide(b, .read, "orders", as: KafkaPrincipal(type: "Group", name: "ops")) == .noAclAllows)
        // The principal type counts: `Group:alice` is not `User:alice`.
        #expect(Self.decide(Self.authorizer([Self.acl("orders", .read)]), .read, "orders", as: KafkaPrincipal(type: "Group", name: "alice"))
            == .noAclAllows)
    }

    @Test func hostMustBeTheClientsOrStar() {
        let fromOne = Self.acl("orders", .read, host: "10.0.0.1")
        let a = Self.authorizer([fromOne])
        #expect(Self.decide(a, .read, "orders", host: "10.0.0.1") == .allowedByAcl(fromOne))
        #expect(Self.decide(a, .read, "orders", host: "10.0.0.2") == .noAclAllows)
        let fromAny = Self.acl("orders", .read, host: "*")
        #expect(Self.decide(Self.authorizer([fromAny]), .read, "orders", host: "192.168.7.7") == .allowedByAcl(fromAny))
    }

    @Test func denyOverridesAllowWhereverEachIsWritten() {
        let allow = Self.acl("orders", .read)
        let denyLiteral = Self.acl("orders", .read, .deny)
        #expect(Self.decide(Self.authorizer([allow, denyLiteral]), .read, "orders") == .deniedByAcl(denyLiteral))
        // A DENY on a prefix or on `*`, or for everyone, beats a literal ALLOW for alice.
        let denyPrefix = Self.acl("ord", .read, .deny, pattern: .prefixed)
        #expect(Self.decide(Self.authorizer([allow, denyPrefix]), .read, "orders") == .deniedByAcl(denyPrefix))
        let denyStar = Self.acl("*", .all, .deny, principal: "User:*")
        #expect(Self.decide(Self.authorizer([allow, denyStar]), .read, "orders") == .deniedByAcl(denyStar))
        // A DENY for another host or principal does not apply.
        let denyElsewhere = Self.acl("orders", .read, .deny, host: "10.9.9.9")
        #expect(Self.decide(Self.authorizer([allow, denyElsewhere]), .read, "orders") == .allowedByAcl(allow))
    }

    @Test func denyOfAllDeniesEveryOperationAndAllowOfAllAllowsEveryOperation() {
        let allowAll = Self.acl("orders", .all)
        let a = Self.authorizer([allowAll])
        for operation in [AclOperation.read, .write, .describe, .alterConfigs, .delete, .create] {
            #expect(Self.decide(a, operation, "orders") == .allowedByAcl(allowAll), "\(operation)")
        }
        let denyAll = Self.acl("orders", .all, .deny)
        let b = Self.authorizer([allowAll, denyAll])
        for operation in [AclOperation.read, .write, .describe, .alterConfigs] {
            #expect(Self.decide(b, operation, "orders") == .deniedByAcl(denyAll), "\(operation)")
        }
    }

    @Test func allowOfReadWriteDeleteAlterImpliesDescribe() {
        for operation in [AclOperation.read, .write, .delete, .alter, .describe] {
            let allow = Self.acl("orders", operation)
            #expect(Self.decide(Self.authorizer([allow]), .describe, "orders") == .allowedByAcl(allow), "\(operation)")
        }
        for operation in [AclOperation.create, .alterConfigs, .describeConfigs, .clusterAction, .idempotentWrite] {
            #expect(Self.decide(Self.authorizer([Self.acl("orders", operation)]), .describe, "orders") == .noAclAllows, "\(operation)")
        }
        // Implication runs one way: DESCRIBE does not allow READ.
        #expect(Self.decide(Self.authorizer([Self.acl("orders", .describe)]), .read, "orders") == .noAclAllows)
    }

    @Test func allowOfAlterConfigsImpliesDescribeConfigs() {
        let allow = Self.acl("orders", .alterConfigs)
        #expect(Self.decide(Self.authorizer([allow]), .describeConfigs, "orders") == .allowedByAcl(allow))
        #expect(Self.decide(Self.authorizer([Self.acl("orders", .alter)]), .describeConfigs, "orders") == .noAclAllows)
        #expect(Self.decide(Self.authorizer([Self.acl("orders", .describeConfigs)]), .alterConfigs, "orders") == .noAclAllows)
    }

    @Test func denyImpliesNothing() {
        // A DENY of READ does not deny DESCRIBE (only ALLOW ACLs imply).
        let allowDescribe = Self.acl("orders", .describe)
        let denyRead = Self.acl("orders", .read, .deny)
        let a = Self.authorizer([allowDescribe, denyRead])
        #expect(Self.decide(a, .describe, "orders") == .allowedByAcl(allowDescribe))
        #expect(Self.decide(a, .read, "orders") == .deniedByAcl(denyRead))
        let denyAlterConfigs = Self.acl("orders", .alterConfigs, .deny)
        #expect(Self.decide(Self.authorizer([denyAlterConfigs]), .describeConfigs, "orders") == .noAclAllows)
    }

    @Test func superUsersPassEvenADeny() {
        let deny = Self.acl("orders", .all, .deny, principal: "User:*")
        let a = Self.authorizer([deny], superUsers: ["User:admin"])
        #expect(Self.decide(a, .write, "orders", as: KafkaPrincipal(name: "admin")) == .superUser)
        #expect(Self.decide(a, .alter, "kafka-cluster", type: .cluster, as: KafkaPrincipal(name: "admin")) == .superUser)
        #expect(Self.decide(a, .write, "orders") == .deniedByAcl(deny))
        // The type is part of the name: `Group:admin` is not `User:admin`.
        #expect(Self.decide(a, .write, "orders", as: KafkaPrincipal(type: "Group", name: "admin")) == .deniedByAcl(deny))
    }

    @Test func noAclFoundIsDecidedBySettingButAclsForOthersDeny() {
        let bobsAcl = Self.acl("orders", .read, principal: "User:bob")
        for allowEveryone in [false, true] {
            let a = Self.authorizer([bobsAcl], allowEveryone: allowEveryone)
            #expect(Self.decide(a, .read, "payments") == .noAclFound(allowEveryone: allowEveryone))
            #expect(Self.decide(a, .read, "payments").isAllowed == allowEveryone)
            // An ACL exists for `orders` (even if for someone else): then only ACLs decide.
            #expect(Self.decide(a, .read, "orders") == .noAclAllows)
            #expect(!Self.decide(a, .read, "orders").isAllowed)
        }
        // A wildcard or prefixed ACL counts as an ACL for the resource.
        let prefixed = Self.acl("pay", .read, pattern: .prefixed, principal: "User:bob")
        #expect(Self.decide(Self.authorizer([prefixed], allowEveryone: true), .read, "payments") == .noAclAllows)
    }

    @Test func removalReplaysAndRulesNameThemselvesInKafkasWords() throws {
        var a = Self.authorizer([Self.acl("orders", .read, .deny)])
        let id = try #require(a.acls.keys.first)
        #expect(!Self.decide(a, .read, "orders").isAllowed)
        let removed = a.replay(RemoveAccessControlEntryRecord(id: id))
        let removedAgain = a.replay(RemoveAccessControlEntryRecord(id: id))
        #expect(removed == Self.acl("orders", .read, .deny))
        #expect(removedAgain == nil)
        #expect(Self.decide(a, .read, "orders") == .noAclFound(allowEveryone: false))

        let deny = Self.acl("orders", .read, .deny)
        let line = AuthorizationResult.deniedByAcl(deny).auditMessage(
            principal: Self.alice, host: "10.0.0.1", operation: .read, resourceType: .transactionalId, resourceName: "orders",
            request: "Fetch")
        #expect(line == "Principal = User:alice is Denied operation = READ from host = 10.0.0.1 on resource = "
            + "TransactionalId:LITERAL:orders for request = Fetch with resourceRefCount = 1 based on rule MatchingAcl(acl="
            + "StandardAcl(resourceType=TOPIC, resourceName=orders, patternType=LITERAL, principal=User:alice, host=*, "
            + "operation=READ, permissionType=DENY))")
        #expect(AuthorizationResult.noAclAllows.description == "DefaultDeny")
        #expect(AuthorizationResult.noAclFound(allowEveryone: true).description == "DefaultAllow")
        #expect(AuthorizationResult.superUser.auditMessage(principal: Self.alice, host: "h", operation: .alter,
                                                           resourceType: .cluster, resourceName: "kafka-cluster")
            == "Principal = User:alice is Allowed operation = ALTER from host = h on resource = Cluster:LITERAL:kafka-cluster based on rule SuperUser")
    }

    @Test func settingsParseAsKafkaReadsThem() throws {
        #expect(try StandardAuthorizer.superUsers(parsing: " User:admin ; User:ops;;") == ["User:admin", "User:ops"])
        #expect(try StandardAuthorizer.superUsers(parsing: "") == [])
        #expect(throws: StandardAuthorizer.InvalidSuperUser(value: "admin")) { try StandardAuthorizer.superUsers(parsing: "User:a;admin") }
        #expect(StandardAuthorizer.allowEveryoneIfNoAclFound(parsing: " TRUE "))
        #expect(!StandardAuthorizer.allowEveryoneIfNoAclFound(parsing: "yes"))
    }

    @Test func authorizeByResourceTypeFindsAnAllowNotCoveredByADeny() {
        func check(_ acls: [StandardAcl], allowEveryone: Bool = false, superUsers: Set<String> = []) -> Bool {
            Self.authorizer(acls, superUsers: superUsers, allowEveryone: allowEveryone)
                .authorizeByResourceType(principal: Self.alice, host: "10.0.0.1", operation: .write, resourceType: .transactionalId)
        }
        #expect(!check([]))
        #expect(check([], allowEveryone: true))
        #expect(check([], superUsers: ["User:alice"]))
        #expect(check([Self.acl("tx-1", .write, type: .transactionalId)]))
        #expect(!check([Self.acl("tx-1", .read, type: .transactionalId)]))
        #expect(!check([Self.acl("tx-1", .write, type: .topic)]))
        #expect(!check([Self.acl("tx-1", .write, type: .transactionalId), Self.acl("tx-1", .write, .deny, type: .transactionalId)]))
        #expect(!check([Self.acl("tx-1", .write, type: .transactionalId), Self.acl("tx", .write, .deny, type: .transactionalId, pattern: .prefixed)]))
        #expect(check([Self.acl("tx-1", .write, type: .transactionalId), Self.acl("tx-2", .write, .deny, type: .transactionalId, pattern: .prefixed)]))
        #expect(check([Self.acl("*", .all, type: .transactionalId, principal: "User:*")]))
        #expect(!check([Self.acl("*", .all, type: .transactionalId, principal: "User:*"),
                        Self.acl("*", .write, .deny, type: .transactionalId)]))
        #expect(!StandardAuthorizer(allowEveryoneIfNoAclFound: true)
            .authorizeByResourceType(principal: Self.alice, host: "h", operation: .any, resourceType: .topic))
    }
}
