import Foundation
import KafkaClient
import NIOSSL
import StromConfig
import SwiftASN1
import X509

/// The server-side TLS context of a listener's `ListenerTls` settings (the client side, for this node's
/// own connections to that listener on other nodes, is `TlsStores.clientContext`), and the principal
/// names of client certificates.
///
/// Client authentication: none, requested (a presented certificate must verify), required. Keystores,
/// truststores and protocols as `TlsStores` reads them.
enum TlsMaterial {

    static func serverContext(_ tls: ListenerTls) throws -> NIOSSLContext {
        let (chain, key) = try TlsStores.keystore(tls)
        var c = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        TlsStores.applyProtocols(tls, to: &c)
        switch tls.clientAuth {
        case .none: c.certificateVerification = .none
        case .requested: c.certificateVerification = .optionalVerification
        case .required: c.certificateVerification = .noHostnameVerification
        }
        if let roots = try TlsStores.truststore(tls) { c.trustRoots = .certificates(roots) }
        return try NIOSSLContext(configuration: c)
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
