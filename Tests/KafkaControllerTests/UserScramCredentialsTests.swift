import KafkaController
import KafkaMetadata
import KafkaProtocol
import KafkaSecurity
import Testing

/// AlterUserScramCredentials and DescribeUserScramCredentials with Kafka's ScramControlManager rules,
/// through the records they write and the image those records replay into.
struct UserScramCredentialsTests {
    typealias Upsertion = AlterUserScramCredentialsRequest.ScramCredentialUpsertion
    typealias Deletion = AlterUserScramCredentialsRequest.ScramCredentialDeletion

    static func upsert(_ name: String, _ mechanism: Int8 = 1, iterations: Int32 = 4096, password: String = "pw") -> Upsertion {
        let salt: [UInt8] = Array("salt-of-\(name)".utf8)
        let salted = ScramMechanism(rawValue: mechanism).map { $0.saltedPassword(password, salt: salt, iterations: iterations) } ?? [1]
        return Upsertion(name: name, mechanism: mechanism, iterations: iterations, salt: salt, saltedPassword: salted)
    }

    static func apply(_ request: AlterUserScramCredentialsRequest, to image: MetadataImage) throws -> (MetadataImage, [String: (Int16, String?)]) {
        let result = AlterUserScramCredentials.handle(request, image: image)
        var delta = MetadataDelta(base: image)
        for r in result.records { try delta.replay(r.record) }
        let byUser = Dictionary(result.response.results.map { ($0.user, ($0.errorCode, $0.errorMessage)) }, uniquingKeysWith: { a, _ in a })
        #expect(byUser.count == result.response.results.count, "one result per user")
        return (delta.apply(provenance: .init(offset: 1, epoch: 1)), byUser)
    }

    @Test func upsertionsStoreKeysThatAuthenticateThePassword() throws {
        let (image, results) = try Self.apply(AlterUserScramCredentialsRequest(upsertions: [
            Self.upsert("alice", 1, password: "alice-pw"), Self.upsert("bob", 2, iterations: 8192, password: "bob-pw"),
        ]), to: .empty)
        #expect(results["alice"]! == (0, nil) && results["bob"]! == (0, nil))
        let alice = try #require(image.scramCredentials[.init(user: "alice", mechanism: 1)])
        let expected = ScramCredential(mechanism: .sha256, password: "alice-pw", salt: Array("salt-of-alice".utf8), iterations: 4096)
        #expect(alice.storedKey == expected.storedKey && alice.serverKey == expected.serverKey && alice.salt == expected.salt)
        #expect(image.scramCredentials[.init(user: "bob", mechanism: 2)]?.iterations == 8192)
        // The records come back out of a snapshot.
        var reloaded = MetadataDelta(base: .empty)
        for r in image.snapshotRecords() { try reloaded.replay(r.record) }
        #expect(reloaded.current.scramCredentials == image.scramCredentials)
    }

    @Test func refusalsFollowKafka() throws {
        let (base, _) = try Self.apply(AlterUserScramCredentialsRequest(upsertions: [Self.upsert("carol")]), to: .empty)
        let (image, results) = try Self.apply(AlterUserScramCredentialsRequest(
            deletions: [Deletion(name: "carol", mechanism: 2), Deletion(name: "dan", mechanism: 1), Deletion(name: "twice", mechanism: 1)],
            upsertions: [Self.upsert("", 1), Self.upsert("eve", 3), Self.upsert("few", 1, iterations: 4095), Self.upsert("many", 2, iterations: 16385),
                         Self.upsert("twice", 2), Self.upsert("ok", 2, iterations: 16384), Self.upsert("dup", 1), Self.upsert("dup", 2)]), to: base)
        #expect(results["carol"]! == (ErrorCode.resourceNotFound.rawValue, "Attempt to delete a user credential that does not exist"))
        #expect(results["dan"]! == (ErrorCode.resourceNotFound.rawValue, "Attempt to delete a user credential that does not exist"))
        #expect(results[""]! == (ErrorCode.unacceptableCredential.rawValue, "Username must not be empty"))
        #expect(results["eve"]! == (ErrorCode.unsupportedSaslMechanism.rawValue, "Unknown SCRAM mechanism"))
        #expect(results["few"]! == (ErrorCode.unacceptableCredential.rawValue, "Too few iterations"))
        #expect(results["many"]! == (ErrorCode.unacceptableCredential.rawValue, "Too many iterations"))
        // Deleting what does not exist is refused first; that refusal stands over the duplicate.
        #expect(results["twice"]! == (ErrorCode.resourceNotFound.rawValue, "Attempt to delete a user credential that does not exist"))
        #expect(results["dup"]! == (ErrorCode.duplicateResource.rawValue, "A user credential cannot be altered twice in the same request"))
        #expect(results["ok"]! == (0, nil))
        #expect(Set(image.scramCredentials.keys) == [.init(user: "carol", mechanism: 1), .init(user: "ok", mechanism: 2)])
    }

    @Test func deletionRemovesOneMechanism() throws {
        let (base, _) = try Self.apply(AlterUserScramCredentialsRequest(upsertions: [Self.upsert("a", 1), Self.upsert("b", 2)]), to: .empty)
        let (image, results) = try Self.apply(AlterUserScramCredentialsRequest(deletions: [Deletion(name: "a", mechanism: 1)]), to: base)
        #expect(results["a"]! == (0, nil))
        #expect(Set(image.scramCredentials.keys) == [.init(user: "b", mechanism: 2)])
    }

    @Test func describeListsMechanismsAndIterations() throws {
        var delta = MetadataDelta(base: .empty)
        for (user, mechanism, iterations) in [("a", Int8(1), Int32(4096)), ("a", 2, 8192), ("b", 2, 5000)] {
            try delta.replay(UserScramCredentialRecord(name: user, mechanism: mechanism, salt: [1], storedKey: [2], serverKey: [3], iterations: iterations))
        }
        let image = delta.current
        let all = DescribeUserScramCredentials.handle(DescribeUserScramCredentialsRequest(users: nil), image: image)
        #expect(all.results.map(\.user) == ["a", "b"])
        #expect(all.results[0].credentialInfos.map { [$0.mechanism: $0.iterations] } == [[1: 4096], [2: 8192]])
        let some = DescribeUserScramCredentials.handle(DescribeUserScramCredentialsRequest(users: [.init(name: "b"), .init(name: "x"), .init(name: "a"), .init(name: "a")]), image: image)
        #expect(some.results.map(\.user) == ["b", "x", "a"])
        #expect(some.results.map(\.errorCode) == [0, ErrorCode.resourceNotFound.rawValue, ErrorCode.duplicateResource.rawValue])
        #expect(some.results[1].errorMessage == "Attempt to describe a user credential that does not exist: x")
    }
}
