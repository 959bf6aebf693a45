/// A frame size prefix below zero or above the limit (`socket.request.max.bytes`, or a smaller one
/// before authentication): the connection is closed before any byte of the frame is buffered.
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
