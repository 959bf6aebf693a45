import KafkaLog
import NIOCore

/// One part of a response frame as it goes to the socket: bytes in memory, or a byte range of a log
/// file that the kernel copies to the socket itself (`sendfile`), so fetched records never pass
/// through the broker's memory.
///
/// A frame is the concatenation of its pieces, in order.
public enum ResponsePiece: Sendable {
    case bytes(ByteBuffer)
    case file(LogFileRange)

    public var byteCount: Int {
        switch self {
        case let .bytes(buffer): buffer.readableBytes
        case let .file(range): range.length
        }
    }

    /// The piece's bytes in memory (a file range is read with `pread`): for tests and for callers that
    /// cannot send files.
    public func materialize() throws(LogError) -> ByteBuffer {
        switch self {
        case let .bytes(buffer): buffer
        case let .file(range): try range.readBytes()
        }
    }
}

/// The outbound end of a connection's pipeline: writes `.bytes` pieces as they are and `.file` pieces
/// as NIO file regions (sent with `sendfile`).
///
/// Invariant: the log file behind a `.file` piece stays open until its write has completed or failed,
/// because the completion callback holds the `LogFileRange` (and with it the `LogFile`, which closes
/// its descriptor only when the last reference goes). The NIO file handle is a borrowed view of that
/// descriptor and never closes it.
final class ResponsePieceWriter: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = ResponsePiece
    typealias OutboundOut = IOData

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case let .bytes(buffer):
            context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
        case let .file(range):
            let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: range.descriptor)
            let start = Int(range.position)
            let region = FileRegion(fileHandle: handle, readerIndex: start, endIndex: start + range.length)
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { result in
                // Give the descriptor back without closing it: the LogFile owns it.
                _ = try? handle.takeDescriptorOwnership()
                withExtendedLifetime(range) {}
                promise?.completeWith(result)
            }
            context.write(wrapOutboundOut(.fileRegion(region)), promise: written)
        }
    }
}
