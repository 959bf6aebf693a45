import Dispatch
import Foundation
import Logging
import NIOConcurrencyHelpers

/// SIGTERM and SIGINT, the signals on which the node shuts down cleanly. Handlers are installed
/// when this is created (before start-up), so a signal that arrives while the node is still
/// starting is remembered and `wait` returns at once.
/// `sources` is set once in `init` and only kept alive afterwards; the mutable state is behind a lock.
final class ShutdownSignals: @unchecked Sendable {
    private struct State {
        var fired = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = NIOLockedValueBox(State())
    private let sources: [DispatchSourceSignal]

    init(logger: Logger) {
        var sources: [DispatchSourceSignal] = []
        let state = self.state
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                let waiter = state.withLockedValue { s -> CheckedContinuation<Void, Never>? in
                    guard !s.fired else { return nil }
                    s.fired = true
                    logger.info("shutting down", metadata: ["signal": "\(sig == SIGTERM ? "SIGTERM" : "SIGINT")"])
                    defer { s.waiter = nil }
                    return s.waiter
                }
                waiter?.resume()
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Returns once a shutdown signal has arrived (at once if one already has).
    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLockedValue { s -> Bool in
                if s.fired { return true }
                s.waiter = c
                return false
            }
            if resumeNow { c.resume() }
        }
    }
}
