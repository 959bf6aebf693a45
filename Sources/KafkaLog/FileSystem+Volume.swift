#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FileSystem {
    /// The size of the volume holding `path` and the bytes on it that an unprivileged process may still
    /// use (statvfs: blocks × fragment size, and available blocks × fragment size, as Java's
    /// `FileStore.getTotalSpace`/`getUsableSpace`). Throws when `path` cannot be reached.
    public static func volumeSpace(_ path: String) throws(LogError) -> (totalBytes: Int64, usableBytes: Int64) {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw LogError.io(operation: "statvfs", path: path, errno: errno) }
        let fragment = UInt64(info.f_frsize)
        let (total, overflowTotal) = UInt64(info.f_blocks).multipliedReportingOverflow(by: fragment)
        let (usable, overflowUsable) = UInt64(info.f_bavail).multipliedReportingOverflow(by: fragment)
        // Kafka reports Long.MAX_VALUE for a volume too large for a signed 64-bit count.
        func clamp(_ value: UInt64, _ overflow: Bool) -> Int64 { overflow || value > UInt64(Int64.max) ? .max : Int64(value) }
        return (clamp(total, overflowTotal), clamp(usable, overflowUsable))
    }
}
