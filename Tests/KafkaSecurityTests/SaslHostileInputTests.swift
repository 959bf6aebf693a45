import KafkaProtocol
import KafkaSecurity
import NIOCore
import SeededRandom
import Testing

/// Hostile input against `SaslServerSession`: seeded sequences of frames (random bytes, request
/// headers of every API with random bodies, handshakes followed by random tokens, raw or in
/// SaslAuthenticate) never crash it and never get a request served before authentication, except the
/// one ApiVersions Kafka allows.
struct SaslHostileInputTests {
    static let settings = SaslServerSession.Settings(mechanisms: [.plain, .scramSHA256, .scramSHA512], plainUsers: ["alice": "secret"])
    static let credential = ScramCredential(mechanism: .sha256, password: "pw", iterations: 4096)

    static func bytes(_ rng: inout SplitMix64, _ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) } }

    static func frame(_ rng: inout SplitMix64) -> ByteBuffer {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0:
            return ByteBuffer(bytes: bytes(&rng, Int.random(in: 0..<64, using: &rng)))
        case 1:
            // A header of any API and version, then garbage.
            var b = ByteBuffer()
            b.writeInteger(Int16.random(in: -2...90, using: &rng))
            b.writeInteger(Int16.random(in: -1...20, using: &rng))
            b.writeInteger(Int32.random(in: .min ... .max, using: &rng))
            b.writeInteger(Int16(4)); b.writeString("evil")
            b.writeBytes(bytes(&rng, Int.random(in: 0..<40, using: &rng)))
            return b
        case 2:
            let mechanism = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "GSSAPI", ""].randomElement(using: &rng)!
            return body(SaslHandshakeRequest(mechanism: mechanism), version: Int16.random(in: 0...1, using: &rng))
        case 3:
            return body(SaslAuthenticateRequest(authBytes: bytes(&rng, Int.random(in: 0..<80, using: &rng))), version: Int16.random(in: 0...2, using: &rng))
        case 4:
            // Tokens that look like SCRAM messages.
            let pieces = ["n,,n=user,r=abc", "c=biws,r=abcSERVER,p=AAAA", "n,a=x,n=y,r=z", "n,,n=,r=", "c=,r=,p=", "=2C=3D,,,"]
            let text = pieces.randomElement(using: &rng)! + String(decoding: bytes(&rng, 4).map { $0 & 0x7f }, as: UTF8.self)
            return body(SaslAuthenticateRequest(authBytes: Array(text.utf8)), version: 1)
        default:
            return body(ApiVersionsRequest(), version: 3)
        }
    }

    static func body<R: KafkaRequestMessage>(_ r: R, version: Int16) -> ByteBuffer {
        var f = try! r.encodeFrame(version: version, correlationID: 7, clientID: "x")
        f.moveReaderIndex(forwardBy: 4)
        return f
    }

    @Test func randomFramesNeverGetServedUnauthenticated() {
        var served = 0
        for seed in 0..<400 {
            var rng = SplitMix64(seed: UInt64(seed))
            var session = SaslServerSession(settings: Self.settings)
            for _ in 0..<12 {
                let f = Self.frame(&rng)
                let isApiVersions = f.getInteger(at: f.readerIndex, as: Int16.self) == APIKey.apiVersions.rawValue
                let action = session.receive(f, nowMs: 0, credential: { $0 == .sha256 && $1 == "user" ? Self.credential : nil })
                if case let .serve(principal) = action {
                    if principal == nil {
                        #expect(isApiVersions, "seed \(seed): a request other than ApiVersions served before authentication")
                        served += 1
                    } else {
                        Issue.record("seed \(seed): random frames authenticated as \(principal!)")
                    }
                }
                if case .close = action { break }
                if case .failAuthentication = action { break }
            }
        }
        #expect(served > 0, "the generator must produce ApiVersions sometimes")
    }
}
