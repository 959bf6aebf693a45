#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// The process's limit on open file descriptors (RLIMIT_NOFILE). Every segment file, index written in
/// passing and connection may need one, and the soft limit a shell hands down is often far below the
/// hard one, so a node raises its soft limit to the hard limit at start (as an operator's `ulimit -n`
/// would) and says so; the segment-file cache is sized from what is then in force.
public enum OpenFileLimit {
    /// The soft limit: Int.max when unlimited, 1024 when it cannot be read.
    public static func current() -> Int {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        return limit.rlim_cur == rlim_t.max ? .max : Int(clamping: limit.rlim_cur)
    }

    /// Raises the soft limit to the hard limit, logging what changed; returns the soft limit in force
    /// afterwards. Failing to raise it is logged, never fatal.
    @discardableResult
    public static func raiseSoftLimitToHardLimit(logger: Logger) -> Int {
        var limits = rlimit()
        guard getrlimit(resource, &limits) == 0 else {
            logger.warning("could not read the open file limit", metadata: ["error.errno": "\(errno)"])
            return current()
        }
        if limits.rlim_cur < limits.rlim_max {
            let before = limits.rlim_cur
            var raised = limits
            raised.rlim_cur = limits.rlim_max
            if setrlimit(resource, &raised) == 0 {
                logger.info("raised the open file limit to the hard limit", metadata: [
                    "process.nofile.before": "\(before)", "process.nofile": "\(raised.rlim_cur)",
                ])
            } else {
                logger.warning("could not raise the open file limit", metadata: [
                    "process.nofile": "\(before)", "process.nofile.hard": "\(limits.rlim_max)", "error.errno": "\(errno)",
                ])
            }
        }
        return current()
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
