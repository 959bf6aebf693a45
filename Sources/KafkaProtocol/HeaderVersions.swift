import NIOCore

/// Which header version frames a request or response body.
///
/// Requests: v2 (client id plus tagged fields) when the body's version is flexible, v1 otherwise,
/// v0 only for ControlledShutdown v0. Responses: v1 (tagged fields) when flexible, v0 otherwise, and
/// always v0 for ApiVersions, so that a client can read the reply whatever version it tried.
extension APIKey {
    public func requestHeaderVersion(apiVersion: Int16) -> Int16 {
        if self == .controlledShutdown && apiVersion == 0 { return 0 }
        guard let type = requestType else { return 1 }
        return type.isFlexible(version: apiVersion) ? 2 : 1
    }

    public func responseHeaderVersion(apiVersion: Int16) -> Int16 {
        if self == .apiVersions { return 0 }
        guard let type = responseType else { return 0 }
        return type.isFlexible(version: apiVersion) ? 1 : 0
    }
}

/// A request as it arrives: header fields, then the body still encoded.
public struct RequestFrame: Sendable {
    public var header: RequestHeader
    public var headerVersion: Int16
    public var apiKey: APIKey { APIKey(rawValue: header.requestApiKey) }
    public var apiVersion: Int16 { header.requestApiVersion }
    /// The encoded body, a slice of the frame.
    public var body: ByteBuffer

    /// Splits a frame (without its size prefix) into header and body. API key, version and
    /// correlation id are read first, so an unknown API or version still yields a header to answer
    /// or log with; only the body's version is left for the caller to check.
    public init(parsing frame: ByteBuffer) throws(ProtocolError) {
        var peek = frame
        let key = try peek.readKafkaInteger(Int16.self, field: "RequestHeader.RequestApiKey")
        let version = try peek.readKafkaInteger(Int16.self, field: "RequestHeader.RequestApiVersion")
        let apiKey = APIKey(rawValue: key)
        // Unknown keys and versions are parsed with header v1: their correlation id and client id sit
        // in the same place in every header version, which is all an error reply needs.
        let known = apiKey.requestType.map { $0.validVersions.contains(version) } ?? false
        let headerVersion = known ? apiKey.requestHeaderVersion(apiVersion: version) : 1
        var buffer = frame
        header = try RequestHeader.decode(from: &buffer, version: headerVersion)
        self.headerVersion = headerVersion
        body = buffer
    }

    /// Decodes the body as `T`, which must be the frame's API. Bytes after a complete body are
    /// ignored, as Kafka's own brokers ignore them (librdkafka 2.16 sends some Metadata v12
    /// requests with three extra bytes); `trailingBytes` says how many there were.
    public func decodeBody<T: KafkaRequestMessage>(as _: T.Type = T.self) throws(ProtocolError) -> (body: T, trailingBytes: Int) {
        guard T.apiKey == apiKey else {
            throw ProtocolError(.invalidValue("frame is \(apiKey), not \(T.apiKey)"), field: "", message: T.messageName, version: apiVersion)
        }
        var buffer = body
        let message = try T.decode(from: &buffer, version: apiVersion)
        return (message, buffer.readableBytes)
    }
}

extension KafkaRequestMessage {
    /// A complete request frame: int32 size, header (of the version the API and version call for), body.
    public func encodeFrame(version: Int16, correlationID: Int32, clientID: String?) throws(ProtocolError) -> ByteBuffer {
        var out = ByteBuffer()
        out.writeInteger(Int32(0))
        let headerVersion = Self.apiKey.requestHeaderVersion(apiVersion: version)
        let header = RequestHeader(requestApiKey: Self.apiKey.rawValue, requestApiVersion: version,
                                   correlationID: correlationID, clientID: clientID)
        try header.encode(to: &out, version: headerVersion)
        try encode(to: &out, version: version)
        out.setInteger(Int32(out.readableBytes - 4), at: out.readerIndex)
        return out
    }
}

extension KafkaResponseMessage {
    /// A complete response frame: int32 size, response header, body.
    public func encodeFrame(version: Int16, correlationID: Int32) throws(ProtocolError) -> ByteBuffer {
        var out = ByteBuffer()
        out.writeInteger(Int32(0))
        let header = ResponseHeader(correlationID: correlationID)
        try header.encode(to: &out, version: Self.apiKey.responseHeaderVersion(apiVersion: version))
        try encode(to: &out, version: version)
        out.setInteger(Int32(out.readableBytes - 4), at: out.readerIndex)
        return out
    }
}
