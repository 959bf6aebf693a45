import KafkaController
import KafkaMetadata
import KafkaProtocol
import KafkaSecurity

/// SCRAM credentials: AlterUserScramCredentials is decided by the active controller (forwarded there
/// like the other administration) and stored as UserScramCredentialRecords; DescribeUserScramCredentials
/// and SCRAM authentication read this node's image.
extension MetadataService {
    public func alterUserScramCredentials(_ request: AlterUserScramCredentialsRequest) async -> AlterUserScramCredentialsResponse {
        let answer = await controllerCall(request, version: AlterUserScramCredentialsRequest.validVersions.upperBound,
                                          local: { await self.alterUserScramCredentialsAsController(request) },
                                          notController: { r in r.results.contains { $0.errorCode == ErrorCode.notController.rawValue } })
        guard let answer else {
            return Self.scramResults(of: request, code: .notController, message: "No active controller answered in time")
        }
        // Read your writes: answered once this node's image has the accepted changes, so a client that
        // authenticates here next finds the credential (waits on publication, at most 5 s).
        let expected = Self.expectedCredentials(request, answer: answer)
        if !expected.isEmpty {
            _ = await publication.wait(until: { view in
                expected.allSatisfy { (view.image.scramCredentials[$0.key] != nil) == $0.present }
            }, deadlineMs: clock.nowMs() + 5_000)
        }
        return answer
    }

    /// nil when this node is not the active controller.
    func alterUserScramCredentialsAsController(_ request: AlterUserScramCredentialsRequest) async -> AlterUserScramCredentialsResponse? {
        await asController({ _, image in AlterUserScramCredentials.handle(request, image: image) }, failing: { response, code, message in
            for i in response.results.indices where response.results[i].errorCode == 0 {
                response.results[i].errorCode = code.rawValue
                response.results[i].errorMessage = message
            }
        })
    }

    /// The stored credential of `user` for `mechanism`, for SCRAM authentication.
    public nonisolated func scramCredential(_ mechanism: ScramMechanism, user: String) -> ScramCredential? {
        image.scramCredentials[.init(user: user, mechanism: mechanism.rawValue)]
    }

    /// One result per user named in `request`, each with `code`.
    static func scramResults(of request: AlterUserScramCredentialsRequest, code: ErrorCode, message: String) -> AlterUserScramCredentialsResponse {
        var users: [String] = []
        for name in request.deletions.map(\.name) + request.upsertions.map(\.name) where !users.contains(name) { users.append(name) }
        return AlterUserScramCredentialsResponse(results: users.map { .init(user: $0, errorCode: code.rawValue, errorMessage: message) })
    }

    /// Each accepted change's credential key and whether it exists afterwards.
    private static func expectedCredentials(_ request: AlterUserScramCredentialsRequest, answer: AlterUserScramCredentialsResponse)
        -> [(key: UserScramCredential.Key, present: Bool)] {
        let ok = Set(answer.results.filter { $0.errorCode == 0 }.map(\.user))
        return request.deletions.filter { ok.contains($0.name) }.map { (.init(user: $0.name, mechanism: $0.mechanism), false) }
            + request.upsertions.filter { ok.contains($0.name) }.map { (.init(user: $0.name, mechanism: $0.mechanism), true) }
    }
}
