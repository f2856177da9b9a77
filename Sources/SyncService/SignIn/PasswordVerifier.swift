import HummingbirdBcrypt
import NIOCore
import NIOPosix
import Synchronization

/// Checks passwords against their bcrypt hashes on a thread pool of its own.
///
/// A bcrypt check at cost 12 keeps a core busy for a quarter of a second. Run
/// on Swift's cooperative pool (as many threads as cores) a few of them at
/// once stall every other request of the server: pushes and pulls of devices
/// that have nothing to do with the sign-in wait behind them. Here they run on
/// `threads` threads of their own, so the cooperative pool stays free, and at
/// most `maximumWaiting` further checks queue behind them; any beyond that are
/// refused at once (`SignInRefusal.busy`) rather than queued without limit,
/// so that a flood of sign-ins costs memory and latency of its own only.
public final class PasswordVerifier: Sendable {
    /// One pool for the whole process: on the two-core machines the server
    /// runs on, one thread leaves a core to everything else. 64 waiting: a
    /// whole office signing in at nine (the load benchmark signs in 64
    /// devices at once) is queued, not refused.
    public static let shared = PasswordVerifier(
        threads: max(1, min(2, System.coreCount / 2)), maximumWaiting: 64)

    /// For databases in memory, which only tests use: every suite of a test
    /// process shares it, signing in from many tests at once.
    public static let forTests = PasswordVerifier(threads: 2, maximumWaiting: 1_000_000)

    public let threads: Int
    public let maximumWaiting: Int
    private let pool: NIOThreadPool
    /// Checks running or waiting for a thread.
    private let admitted = Mutex(0)

    public init(threads: Int, maximumWaiting: Int) {
        precondition(threads >= 1 && maximumWaiting >= 0)
        self.threads = threads
        self.maximumWaiting = maximumWaiting
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    /// Checks running or waiting now.
    public var inFlight: Int { admitted.withLock { $0 } }

    /// Whether `password` matches `hash`. An unparsable hash, or one of a cost
    /// bcrypt does not support, matches nothing.
    public func verify(_ password: String, hash: String) async throws -> Bool {
        try await run { Bcrypt.verify(password, hash: hash) }
    }

    /// Runs `work` on the pool, or throws `SignInRefusal.busy` when the pool
    /// and its queue are full.
    public func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        let capacity = threads + maximumWaiting
        let admittedNow = admitted.withLock { count in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        guard admittedNow else { throw SignInRefusal.busy }
        defer { admitted.withLock { $0 -= 1 } }
        return try await pool.runIfActive(work)
    }

    /// Stops the threads once the checks in flight are done. The shared
    /// verifier lives as long as the process; others (tests) must be shut down.
    public func shutdown() async throws {
        try await pool.shutdownGracefully()
    }
}
