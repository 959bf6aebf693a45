import KafkaMetadata
import KafkaProtocol
import KafkaSecurity

/// AlterUserScramCredentials (KIP-554), decided as Kafka's `ScramControlManager` decides it: each
/// user gets one result. Deletions are read first, then upsertions; a user named a second time in one
/// request (whatever the mechanism) loses every change of the request and gets DUPLICATE_RESOURCE, unless
/// its first mention was already refused (that error stands).
/// Per change: an empty name is UNACCEPTABLE_CREDENTIAL, a mechanism other than 1 (SCRAM-SHA-256) or
/// 2 (SCRAM-SHA-512) UNSUPPORTED_SASL_MECHANISM, iterations outside 4,096-16,384 or an empty salted
/// password UNACCEPTABLE_CREDENTIAL, deleting a credential that does not exist RESOURCE_NOT_FOUND.
/// An upsertion is stored as UserScramCredentialRecord with StoredKey and ServerKey derived from the
/// salted password (which is not kept); a deletion as RemoveUserScramCredentialRecord.
/// Results list the accepted changes (deletions, then upsertions) and then the refused ones.
public enum AlterUserScramCredentials {
    public static func handle(_ request: AlterUserScramCredentialsRequest, image: MetadataImage)
        -> ControllerResult<AlterUserScramCredentialsResponse> {
        typealias Result = AlterUserScramCredentialsResponse.AlterUserScramCredentialsResult
        enum Change { case delete(Int8), upsert(Int8, UserScramCredential) }
        var accepted: [(user: String, change: Change)] = []
        var refused: [Result] = []
        var seen: Set<String> = []

        func refuse(_ user: String, _ code: ErrorCode, _ message: String) {
            refused.append(Result(user: user, errorCode: code.rawValue, errorMessage: message))
        }
        /// False when the user was already named: an accepted earlier change becomes DUPLICATE_RESOURCE;
        /// an earlier refusal stands (Kafka keeps a user's first error).
        func firstMention(_ user: String) -> Bool {
            guard seen.insert(user).inserted else {
                if accepted.contains(where: { $0.user == user }) {
                    accepted.removeAll { $0.user == user }
                    refuse(user, .duplicateResource, "A user credential cannot be altered twice in the same request")
                }
                return false
            }
            return true
        }

        for deletion in request.deletions where firstMention(deletion.name) {
            if let problem = nameAndMechanismProblem(deletion.name, deletion.mechanism) {
                refuse(deletion.name, problem.0, problem.1)
            } else if image.scramCredentials[.init(user: deletion.name, mechanism: deletion.mechanism)] == nil {
                refuse(deletion.name, .resourceNotFound, "Attempt to delete a user credential that does not exist")
            } else {
                accepted.append((deletion.name, .delete(deletion.mechanism)))
            }
        }
        for upsertion in request.upsertions where firstMention(upsertion.name) {
            if let problem = nameAndMechanismProblem(upsertion.name, upsertion.mechanism) {
                refuse(upsertion.name, problem.0, problem.1)
            } else if upsertion.iterations < ScramMechanism.minIterations {
                refuse(upsertion.name, .unacceptableCredential, "Too few iterations")
            } else if upsertion.iterations > ScramMechanism.maxIterations {
                refuse(upsertion.name, .unacceptableCredential, "Too many iterations")
            } else if upsertion.saltedPassword.isEmpty {
                refuse(upsertion.name, .unacceptableCredential, "The salted password must not be empty")
            } else {
                let mechanism = ScramMechanism(rawValue: upsertion.mechanism)!
                let credential = ScramCredential(mechanism: mechanism, saltedPassword: upsertion.saltedPassword, salt: upsertion.salt,
                                                 iterations: upsertion.iterations)
                accepted.append((upsertion.name, .upsert(upsertion.mechanism, credential)))
            }
        }

        var records: [MetadataRecordAndVersion] = []
        var response = AlterUserScramCredentialsResponse()
        for (user, change) in accepted {
            switch change {
            case let .delete(mechanism):
                records.append(MetadataRecordAndVersion(RemoveUserScramCredentialRecord(name: user, mechanism: mechanism), version: 0))
            case let .upsert(mechanism, credential):
                records.append(MetadataRecordAndVersion(credential.record(.init(user: user, mechanism: mechanism)), version: 0))
            }
            response.results.append(Result(user: user, errorCode: 0, errorMessage: nil))
        }
        response.results += refused
        return ControllerResult(records: records, response: response)
    }

    static func nameAndMechanismProblem(_ name: String, _ mechanism: Int8) -> (ErrorCode, String)? {
        if name.isEmpty { return (.unacceptableCredential, "Username must not be empty") }
        if ScramMechanism(rawValue: mechanism) == nil { return (.unsupportedSaslMechanism, "Unknown SCRAM mechanism") }
        return nil
    }
}

/// DescribeUserScramCredentials, from a node's image as Kafka's `ScramImage.describe` answers it: no
/// users (or null) lists every user with a credential; a user named twice gets one DUPLICATE_RESOURCE
/// result; a user without any credential RESOURCE_NOT_FOUND; each found user its mechanisms and
/// iteration counts.
public enum DescribeUserScramCredentials {
    public static func handle(_ request: DescribeUserScramCredentialsRequest, image: MetadataImage) -> DescribeUserScramCredentialsResponse {
        typealias Result = DescribeUserScramCredentialsResponse.DescribeUserScramCredentialsResult
        var byUser: [String: [(Int8, Int32)]] = [:]
        for (key, credential) in image.scramCredentials { byUser[key.user, default: []].append((key.mechanism, credential.iterations)) }
        func found(_ user: String) -> Result {
            Result(user: user, errorCode: 0, errorMessage: nil,
                   credentialInfos: (byUser[user] ?? []).sorted { $0.0 < $1.0 }.map { .init(mechanism: $0.0, iterations: $0.1) })
        }
        var response = DescribeUserScramCredentialsResponse(errorCode: 0, errorMessage: nil)
        guard let users = request.users, !users.isEmpty else {
            response.results = byUser.keys.sorted().map(found)
            return response
        }
        var counts: [String: Int] = [:]
        for u in users { counts[u.name, default: 0] += 1 }
        var answered: Set<String> = []
        for u in users where answered.insert(u.name).inserted {
            if counts[u.name]! > 1 {
                response.results.append(Result(user: u.name, errorCode: ErrorCode.duplicateResource.rawValue,
                                               errorMessage: "Cannot describe SCRAM credentials for the same user twice in a single request: \(u.name)"))
            } else if byUser[u.name] == nil {
                response.results.append(Result(user: u.name, errorCode: ErrorCode.resourceNotFound.rawValue,
                                               errorMessage: "Attempt to describe a user credential that does not exist: \(u.name)"))
            } else {
                response.results.append(found(u.name))
            }
        }
        return response
    }
}
