import ArgumentParser
import Foundation
import SyncService

/// How `serve` limits password guessing (Protocol.md §10.2): each option from
/// its flag, else its `SYNC_*` environment variable, else the default.
struct SignInOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Failed sign-ins from one address in ten minutes before it must wait; 0 for no limit (SYNC_SIGN_IN_FAILURES_PER_ADDRESS; default \(SignInLimits.standard.failuresPerAddress)).",
        valueName: "count"))
    var signInFailuresPerAddress: Int?

    @Flag(help: """
        Count sign-ins by the last address in X-Forwarded-For, which the proxy in front \
        appends, instead of the connection's peer (SYNC_TRUST_FORWARDED_FOR=1). Only behind \
        such a proxy: without one, any client can write any address there.
        """)
    var trustForwardedFor = false

    func limits(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SignInLimits {
        var limits = SignInLimits.standard
        if let count = signInFailuresPerAddress {
            limits.failuresPerAddress = count
        } else if let text = environment["SYNC_SIGN_IN_FAILURES_PER_ADDRESS"] {
            guard let count = Int(text) else {
                throw ValidationError("SYNC_SIGN_IN_FAILURES_PER_ADDRESS must be a number, not '\(text)'")
            }
            limits.failuresPerAddress = count
        }
        guard limits.failuresPerAddress >= 0 else { throw ValidationError("the failures per address must be 0 or more") }
        limits.trustForwardedFor = trustForwardedFor || ["1", "true", "yes"].contains(environment["SYNC_TRUST_FORWARDED_FOR"] ?? "")
        return limits
    }
}
