import StromConfig

/// SASL/PLAIN (RFC 4616) as Kafka's PLAIN server checks it: the client's one message is
/// `[authzid] NUL authcid NUL passwd`; an authorization id, when given, must equal the user name (checked after the password, as Kafka does).
/// Users and passwords come from the listener's JAAS options `user_<name>="<password>"`.
public enum PlainAuthentication {
    /// The authenticated user name, or why not. The password comparison takes the same time wherever
    /// the guess differs.
    public static func authenticate(_ message: [UInt8], users: [String: String]) throws(SaslFailure) -> String {
        let parts = message.split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw SaslFailure("Invalid SASL/PLAIN response: expected 3 tokens, got \(parts.count)", revealed: true)
        }
        guard let authzid = String(validating: parts[0], as: UTF8.self), let user = String(validating: parts[1], as: UTF8.self) else {
            throw SaslFailure("Invalid SASL/PLAIN response: not UTF-8", revealed: true)
        }
        guard !user.isEmpty else { throw SaslFailure("Authentication failed: username not specified", revealed: true) }
        guard !parts[2].isEmpty else { throw SaslFailure("Authentication failed: password not specified", revealed: true) }
        // An unknown user is compared against an empty password anyway, so both answers take as long.
        let expected = users[user].map { Array($0.utf8) }
        let matches = ConstantTime.equal(parts[2], expected ?? [])
        guard expected != nil, matches else { throw SaslFailure("Authentication failed: Invalid username or password", revealed: true) }
        guard authzid.isEmpty || authzid == user else {
            throw SaslFailure("Authentication failed: Client requested an authorization id that is different from username", revealed: true)
        }
        return user
    }

    /// `user_<name>` options of a PLAIN login module: name → password.
    public static func users(from jaas: JaasConfig) -> [String: String] {
        var users: [String: String] = [:]
        for (key, value) in jaas.options where key.hasPrefix("user_") && key.count > 5 {
            users[String(key.dropFirst(5))] = value
        }
        return users
    }
}
