import NIOCore

/// Splits a byte stream into Kafka frames: an int32 size followed by that many bytes.
///
/// A size below zero or above `maxFrameSize` (`socket.request.max.bytes`) is refused before any
/// byte of the frame is buffered, so a hostile size prefix costs nothing; the caller logs and closes.
public struct KafkaFrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = ByteBuffer

    public struct FrameTooLarge: Error, Hashable, CustomStringConvertible {
        public var size: Int
        public var limit: Int

        public init(size: Int, limit: Int) {
            self.size = size
            self.limit = limit
        }

        public var description: String {
            size < 0 ? "negative frame size \(size)" : "frame of \(size) bytes exceeds the limit of \(limit) bytes"
        }
    }

    public let maxFrameSize: Int
    /// When set, the limit for the next frame (a connection that has not authenticated yet takes
    /// smaller frames than one that has); `maxFrameSize` otherwise.
    private let currentLimit: (@Sendable () -> Int)?

    public init(maxFrameSize: Int, currentLimit: (@Sendable () -> Int)? = nil) {
        self.maxFrameSize = maxFrameSize
        self.currentLimit = currentLimit
    }

    /// Reads one frame if a whole one is buffered; throws when the size prefix is unacceptable.
    public static func nextFrame(from buffer: inout ByteBuffer, maxFrameSize: Int) throws -> ByteBuffer? {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return nil }
        guard size >= 0, Int(size) <= maxFrameSize else { throw FrameTooLarge(size: Int(size), limit: maxFrameSize) }
        guard buffer.readableBytes >= 4 + Int(size) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(size))
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.nextFrame(from: &buffer, maxFrameSize: currentLimit?() ?? maxFrameSize) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }
}
