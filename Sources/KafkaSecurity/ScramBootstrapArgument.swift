import Foundation

/// One `--add-scram` argument of `strom format`, in the grammar of Kafka's storage tool:
///
///     <SCRAM-SHA-256|SCRAM-SHA-512>=[name=<user>,password=<password>]
///     <mechanism>=[name=<user>,iterations=<n>,salt=<base64>,saltedpassword=<base64>]
///
/// Components are split at "," and then at the first "="; a value in double quotes loses them.
/// `name` is required, and `password` or `saltedpassword` (which needs `salt`); `iterations` defaults
/// to 4,096 and must lie within 4,096-16,384; a missing salt is random. Errors say what Kafka's says.
public struct ScramBootstrapArgument: Sendable, Equatable {
    public var user: String
    public var mechanism: ScramMechanism
    public var credential: ScramCredential

    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ d: String) { description = d }
        public init(description: String) { self.description = description }
    }

    public init(parsing argument: String, randomSalt: () -> [UInt8] = ScramCredential.randomSalt) throws(Invalid) {
        let text = argument.trimmingCharacters(in: .whitespaces)
        guard let eq = text.firstIndex(of: "=") else { throw Invalid("Failed to find equals sign in SCRAM argument '\(text)'") }
        let name = String(text[..<eq])
        guard let mechanism = ScramMechanism(mechanismName: name) else { throw Invalid("The add-scram mechanism \(name) is not supported.") }
        let config = String(text[text.index(after: eq)...])
        guard config.hasPrefix("[") else { throw Invalid("Expected configuration string to start with [") }
        guard config.hasSuffix("]"), config.count >= 2 else { throw Invalid("Expected configuration string to end with ]") }
        var values: [String: String] = [:]
        for component in config.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false) {
            guard let ceq = component.firstIndex(of: "=") else { throw Invalid("No equals sign found in SCRAM component: \(component)") }
            var value = String(component[component.index(after: ceq)...])
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            values[String(component[..<ceq])] = value
        }
        let unknown = Set(values.keys).subtracting(["name", "password", "saltedpassword", "salt", "iterations"])
        guard unknown.isEmpty else { throw Invalid("Unknown SCRAM configurations: \(unknown.sorted().joined(separator: ", "))") }
        guard let user = values["name"] else { throw Invalid("You must supply 'name' to add-scram") }
        var iterations = ScramMechanism.minIterations
        if let text = values["iterations"] {
            guard let n = Int32(text) else { throw Invalid("Failed to parse iterations count: \(text)") }
            iterations = n
        }
        guard iterations >= ScramMechanism.minIterations else {
            throw Invalid("The 'iterations' value must be >= \(ScramMechanism.minIterations) for add-scram using \(mechanism)")
        }
        guard iterations <= ScramMechanism.maxIterations else {
            throw Invalid("The 'iterations' value must be <= \(ScramMechanism.maxIterations) for add-scram using \(mechanism)")
        }
        var salt: [UInt8]?
        if let text = values["salt"] {
            guard let data = Data(base64Encoded: text) else { throw Invalid("Failed to decode given salt: \(text)") }
            salt = Array(data)
        }
        if let password = values["password"] {
            credential = ScramCredential(mechanism: mechanism, password: password, salt: salt ?? randomSalt(), iterations: iterations)
        } else if let text = values["saltedpassword"] {
            guard let salt else { throw Invalid("You must supply 'salt' with 'saltedpassword' to add-scram") }
            guard let salted = Data(base64Encoded: text) else { throw Invalid("Failed to decode given saltedPassword: \(text)") }
            credential = ScramCredential(mechanism: mechanism, saltedPassword: Array(salted), salt: salt, iterations: iterations)
        } else {
            throw Invalid("You must supply one of 'password' or 'saltedpassword' to add-scram")
        }
        self.user = user
        self.mechanism = mechanism
    }
}
