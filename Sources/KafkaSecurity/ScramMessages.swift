import Foundation

/// The four SCRAM messages (RFC 5802 section 7) as Kafka's SCRAM exchange writes and accepts them:
///
///     client-first  = "n," ["a=" saslname] "," "n=" saslname ",r=" nonce *("," key "=" value)
///     server-first  = "r=" nonce ",s=" base64(salt) ",i=" iterations
///     client-final  = "c=" base64(gs2-header) ",r=" nonce *("," key "=" value) ",p=" base64(proof)
///     server-final  = "v=" base64(server-signature)
///
/// A saslname is printable ASCII in which "," is written "=2C" and "=" is written "=3D"; a nonce is
/// printable ASCII without ",". Channel binding ("p=" or "y" in the gs2 header) is not offered, as in
/// Kafka. Extensions are `key=value` pairs after the nonce (Kafka's `tokenauth=true`).
public enum ScramMessages {
    public struct ClientFirst: Sendable, Equatable {
        public var authorizationID: String?
        public var userName: String
        public var nonce: String
        public var extensions: [(key: String, value: String)]
        /// The message without its gs2 header ("n=...,r=..."), part of the AuthMessage.
        public var bare: String
        /// "n," plus the authorization id part plus ",": what `c=` must echo, base64-encoded.
        public var gs2Header: String

        public static func == (a: Self, b: Self) -> Bool {
            a.bare == b.bare && a.gs2Header == b.gs2Header
        }
    }

    public struct ClientFinal: Sendable, Equatable {
        public var channelBinding: [UInt8]
        public var nonce: String
        public var proof: [UInt8]
        /// The message up to (not including) ",p=": part of the AuthMessage.
        public var withoutProof: String
    }

    public struct ServerFirst: Sendable, Equatable {
        public var nonce: String
        public var salt: [UInt8]
        public var iterations: Int32
        public var text: String { "r=\(nonce),s=\(Data(salt).base64EncodedString()),i=\(iterations)" }
    }

    public struct Malformed: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
    }

    public static func parseClientFirst(_ bytes: [UInt8]) throws(Malformed) -> ClientFirst {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Malformed("not UTF-8") }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 4 else { throw Malformed("Invalid SCRAM client first message format: \(text)") }
        guard parts[0] == "n" else {
            throw Malformed("Invalid SCRAM client first message format: channel binding flag `\(parts[0])` (only `n` is supported)")
        }
        var authzid: String?
        if !parts[1].isEmpty {
            guard parts[1].hasPrefix("a="), let a = decodeSaslName(String(parts[1].dropFirst(2))) else {
                throw Malformed("Invalid SCRAM client first message format: authorization id `\(parts[1])`")
            }
            authzid = a
        }
        guard parts[2].hasPrefix("n="), let user = decodeSaslName(String(parts[2].dropFirst(2))) else {
            throw Malformed("Invalid SCRAM client first message format: user name `\(parts[2])`")
        }
        guard parts[3].hasPrefix("r="), isNonce(parts[3].dropFirst(2)) else {
            throw Malformed("Invalid SCRAM client first message format: nonce `\(parts[3])`")
        }
        let extensions = try parseExtensions(parts[4...])
        return ClientFirst(authorizationID: authzid, userName: user, nonce: String(parts[3].dropFirst(2)), extensions: extensions,
                           bare: parts[2...].joined(separator: ","), gs2Header: parts[0] + "," + parts[1] + ",")
    }

    public static func parseClientFinal(_ bytes: [UInt8]) throws(Malformed) -> ClientFinal {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Malformed("not UTF-8") }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0].hasPrefix("c="), let binding = Data(base64Encoded: String(parts[0].dropFirst(2))),
              parts[1].hasPrefix("r="), isNonce(parts[1].dropFirst(2)),
              let last = parts.last, last.hasPrefix("p="), let proof = Data(base64Encoded: String(last.dropFirst(2))) else {
            throw Malformed("Invalid SCRAM client final message format: \(text)")
        }
        _ = try parseExtensions(parts[2..<(parts.count - 1)])
        return ClientFinal(channelBinding: Array(binding), nonce: String(parts[1].dropFirst(2)), proof: Array(proof),
                           withoutProof: parts[0..<(parts.count - 1)].joined(separator: ","))
    }

    public static func parseServerFirst(_ bytes: [UInt8]) throws(Malformed) -> ServerFirst {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Malformed("not UTF-8") }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0].hasPrefix("r="), isNonce(parts[0].dropFirst(2)),
              parts[1].hasPrefix("s="), let salt = Data(base64Encoded: String(parts[1].dropFirst(2))),
              parts[2].hasPrefix("i="), let iterations = Int32(parts[2].dropFirst(2)), iterations > 0 else {
            throw Malformed("Invalid SCRAM server first message format: \(text)")
        }
        return ServerFirst(nonce: String(parts[0].dropFirst(2)), salt: Array(salt), iterations: iterations)
    }

    /// "," as "=2C" and "=" as "=3D".
    public static func encodeSaslName(_ name: String) -> String {
        name.replacingOccurrences(of: "=", with: "=3D").replacingOccurrences(of: ",", with: "=2C")
    }

    /// The name a saslname stands for; nil when it is empty, holds a bare "=", or is not printable ASCII.
    public static func decodeSaslName(_ text: String) -> String? {
        guard !text.isEmpty, text.unicodeScalars.allSatisfy({ $0.value >= 0x01 && $0.value <= 0x7F }) else { return nil }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == "=" {
                let code = text[text.index(after: i)...].prefix(2)
                switch code {
                case "2C": out.append(",")
                case "3D": out.append("=")
                default: return nil
                }
                i = text.index(i, offsetBy: 3)
            } else {
                out.append(text[i])
                i = text.index(after: i)
            }
        }
        return out
    }

    static func isNonce(_ s: Substring) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { $0.value >= 0x21 && $0.value <= 0x7E && $0 != "," }
    }

    private static func parseExtensions(_ parts: ArraySlice<String>) throws(Malformed) -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        for p in parts {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex,
                  p[..<eq].unicodeScalars.allSatisfy({ ($0.properties.isAlphabetic && $0.isASCII) || ("0"..."9").contains($0) }) else {
                throw Malformed("Invalid SCRAM extension `\(p)`")
            }
            out.append((String(p[..<eq]), String(p[p.index(after: eq)...])))
        }
        return out
    }
}
