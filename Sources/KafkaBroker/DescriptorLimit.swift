#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// The process's limit on open file descriptors (RLIMIT_NOFILE). Every partition log, index and
/// connection may need one, and the soft limit a shell hands down is often far below the hard one, so a
/// node raises its soft limit to the hard limit at start (as an operator's `ulimit -n` would) and says so.
enum DescriptorLimit {
    /// Raises the soft limit to the hard limit; returns the soft limit in force afterwards (nil when the
    /// system would not tell). Failing to raise it is logged, never fatal.
    @discardableResult
    static func raiseSoftLimitToHardLimit(logger: Logger) -> Int? {
        var limits = rlimit()
        guard getrlimit(Self.resource, &limits) == 0 else {
            logger.warning("could not read the open file limit", metadata: ["error.errno": "\(errno)"])
            return nil
        }
        let before = limits.rlim_cur
        if limits.rlim_cur < limits.rlim_max {
            var raised = limits
            raised.rlim_cur = limits.rlim_max
            if setrlimit(Self.resource, &raised) == 0 {
                limits = raised
                logger.info("raised the open file limit to the hard limit", metadata: [
                    "process.nofile.before": "\(before)", "process.nofile": "\(limits.rlim_cur)",
                ])
            } else {
                logger.warning("could not raise the open file limit", metadata: [
                    "process.nofile": "\(before)", "process.nofile.hard": "\(limits.rlim_max)", "error.errno": "\(errno)",
                ])
            }
        }
        return Int(clamping: limits.rlim_cur)  // RLIM_INFINITY is the largest value: it clamps to Int.max
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
