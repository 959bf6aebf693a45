import Foundation
import NIOSSL
import StromConfig

/// TLS material as Kafka's `ssl.*` settings name it (a listener's, or a client's `--command-config`),
/// read into NIOSSL: the client-side context, the keystore and the truststore.
///
/// Keystores: a PEM file with the private key and the certificate chain, inline PEM
/// (`ssl.keystore.certificate.chain` + `ssl.keystore.key`), or a PKCS#12 bundle; an encrypted PEM key is
/// opened with `ssl.key.password`. Truststores: PEM certificates (file or inline) or a PKCS#12 bundle's
/// certificates. Protocols: TLS 1.2 and 1.3 as `ssl.enabled.protocols` allows.
public enum TlsStores {
    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    /// For connections to other nodes' `tls` listener: their certificates are checked against the
    /// truststore (and their host names too with `ssl.endpoint.identification.algorithm=https`); this
    /// node's own certificate goes along, for listeners that require client authentication.
    public static func clientContext(_ tls: ListenerTls) throws -> NIOSSLContext {
        var c = TLSConfiguration.makeClientConfiguration()
        applyProtocols(tls, to: &c)
        if let roots = try truststore(tls) { c.trustRoots = .certificates(roots) }
        c.certificateVerification = tls.endpointIdentificationAlgorithm.isEmpty ? .noHostnameVerification : .fullVerification
        if tls.keystore != nil {
            let (chain, key) = try keystore(tls)
            c.certificateChain = chain.map { .certificate($0) }
            c.privateKey = .privateKey(key)
        }
        return try NIOSSLContext(configuration: c)
    }

    public static func applyProtocols(_ tls: ListenerTls, to c: inout TLSConfiguration) {
        c.minimumTLSVersion = tls.enabledProtocols.contains("TLSv1.2") ? .tlsv12 : .tlsv13
        c.maximumTLSVersion = tls.enabledProtocols.contains("TLSv1.3") ? .tlsv13 : .tlsv12
    }

    public static func keystore(_ tls: ListenerTls) throws -> ([NIOSSLCertificate], NIOSSLPrivateKey) {
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

    public static func truststore(_ tls: ListenerTls) throws -> [NIOSSLCertificate]? {
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
}
