import Foundation
import NIOSSL
import StromConfig
import SwiftASN1
import X509

/// The TLS contexts of a listener's `ListenerTls` settings: the server side for the listener itself and
/// the client side for this node's own connections to that listener on other nodes.
///
/// Keystores: a PEM file with the private key and the certificate chain, inline PEM
/// (`ssl.keystore.certificate.chain` + `ssl.keystore.key`), or a PKCS#12 bundle; an encrypted PEM key is
/// opened with `ssl.key.password`. Truststores: PEM certificates (file or inline) or a PKCS#12 bundle's
/// certificates. Client authentication: none, requested (a presented certificate must verify),
/// required. Protocols: TLS 1.2 and 1.3 as `ssl.enabled.protocols` allows.
enum TlsMaterial {
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    static func serverContext(_ tls: ListenerTls) throws -> NIOSSLContext {
        let (chain, key) = try keystore(tls)
        var c = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        try applyProtocols(tls, to: &c)
        switch tls.clientAuth {
        case .none: c.certificateVerification = .none
        case .requested: c.certificateVerification = .optionalVerification
        case .required: c.certificateVerification = .noHostnameVerification
        }
        if let roots = try truststore(tls) { c.trustRoots = .certificates(roots) }
        return try NIOSSLContext(configuration: c)
    }

    /// For connections to other nodes' `tls` listener: their certificates are checked against the
    /// truststore (and their host names too with `ssl.endpoint.identification.algorithm=https`); this
    /// node's own certificate goes along, for listeners that require client authentication.
    static func clientContext(_ tls: ListenerTls) throws -> NIOSSLContext {
        var c = TLSConfiguration.makeClientConfiguration()
        try applyProtocols(tls, to: &c)
        if let roots = try truststore(tls) { c.trustRoots = .certificates(roots) }
        c.certificateVerification = tls.endpointIdentificationAlgorithm.isEmpty ? .noHostnameVerification : .fullVerification
        if tls.keystore != nil {
            let (chain, key) = try keystore(tls)
            c.certificateChain = chain.map { .certificate($0) }
            c.privateKey = .privateKey(key)
        }
        return try NIOSSLContext(configuration: c)
    }

    private static func applyProtocols(_ tls: ListenerTls, to c: inout TLSConfiguration) throws {
        c.minimumTLSVersion = tls.enabledProtocols.contains("TLSv1.2") ? .tlsv12 : .tlsv13
        c.maximumTLSVersion = tls.enabledProtocols.contains("TLSv1.3") ? .tlsv13 : .tlsv12
    }

    static func keystore(_ tls: ListenerTls) throws -> ([NIOSSLCertificate], NIOSSLPrivateKey) {
        guard let k = tls.keystore else { throw Problem(description: "no keystore") }
        switch k.type {
        case .pkcs12:
            guard let location = k.location else { throw Problem(description: "a PKCS12 keystore needs ssl.keystore.location") }
            let bundle = try NIOSSLPKCS12Bundle(file: location, passphrase: k.password.map { Array($0.utf8) } ?? [])
            return (bundle.certificateChain, bundle.privateKey)
        case .pem:
            let pem: [UInt8]
            if let location = k.location {
                pem = try readFile(location)
            } else {
                pem = Array(((k.key ?? "") + "\n" + (k.certificateChain ?? "")).utf8)
            }
            let chain = try NIOSSLCertificate.fromPEMBytes(pem)
            guard !chain.isEmpty else { throw Problem(description: "the keystore holds no certificate") }
            let key: NIOSSLPrivateKey
            if let password = k.keyPassword {
                key = try NIOSSLPrivateKey(bytes: pem, format: .pem) { (set: ([UInt8]) -> Void) in set(Array(password.utf8)) }
            } else {
                key = try NIOSSLPrivateKey(bytes: pem, format: .pem)
            }
            return (chain, key)
        }
    }

    static func truststore(_ tls: ListenerTls) throws -> [NIOSSLCertificate]? {
        guard let t = tls.truststore else { return nil }
        switch t.type {
        case .pkcs12:
            guard let location = t.location else { throw Problem(description: "a PKCS12 truststore needs ssl.truststore.location") }
            return try NIOSSLPKCS12Bundle(file: location, passphrase: t.password.map { Array($0.utf8) } ?? []).certificateChain
        case .pem:
            let pem = try t.location.map(readFile) ?? Array((t.certificates ?? "").utf8)
            let certificates = try NIOSSLCertificate.fromPEMBytes(pem)
            guard !certificates.isEmpty else { throw Problem(description: "the truststore holds no certificate") }
            return certificates
        }
    }

    private static func readFile(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw Problem(description: "cannot read \(path)") }
        return Array(data)
    }

    /// The subject of `certificate` as Kafka's SSL principal builder writes it, Java's
    /// `X500Principal.getName()` (RFC 2253): the most specific name first (`CN=alice,OU=eng,O=Acme,C=US`),
    /// the attributes of one name joined by "+", the keywords CN, C, L, ST, O, OU, STREET, DC and UID,
    /// any other attribute as its dotted OID and `#` with the hex of its DER value (an email address:
    /// `1.2.840.113549.1.9.1=#16...`), and a backslash before `, + " \ < > ; = #` and before leading and
    /// trailing spaces.
    static func distinguishedName(_ certificate: NIOSSLCertificate) throws -> String {
        let subject = try Certificate(derEncoded: certificate.toDERBytes()).subject
        return try subject.reversed().map { rdn in
            try rdn.map { attribute in
                if let keyword = keywords[attribute.type], let text = String(attribute.value) {
                    return keyword + "=" + escaped(text)
                }
                var der = DER.Serializer()
                try der.serialize(ASN1Any(attribute.value))
                return "\(attribute.type)=#" + der.serializedBytes.map { String(format: "%02x", $0) }.joined()
            }.joined(separator: "+")
        }.joined(separator: ",")
    }

    private static let keywords: [ASN1ObjectIdentifier: String] = [
        [2, 5, 4, 3]: "CN", [2, 5, 4, 6]: "C", [2, 5, 4, 7]: "L", [2, 5, 4, 8]: "ST", [2, 5, 4, 10]: "O", [2, 5, 4, 11]: "OU",
        [2, 5, 4, 9]: "STREET", [0, 9, 2342, 19200300, 100, 1, 25]: "DC", [0, 9, 2342, 19200300, 100, 1, 1]: "UID",
    ]

    private static func escaped(_ text: String) -> String {
        var out = ""
        let characters = Array(text)
        for (i, c) in characters.enumerated() {
            let edgeSpace = c == " " && (i == 0 || i == characters.count - 1)
            if edgeSpace || ",+\"\\<>;=#".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
