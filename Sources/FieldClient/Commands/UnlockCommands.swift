import ArgumentParser
import FieldKit
import Foundation
import SyncCore

struct UnlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Keep the local data unlocked for a while, so that commands stop asking for the passphrase.",
        discussion: """
            Asks for the passphrase once (or reads FIELD_PASSPHRASE, or uses --key-file), checks \
            it, and keeps the derived key for --hours hours (8 by default: a working day) in \
            $XDG_RUNTIME_DIR, which the system keeps in memory only, readable only by you, and \
            empties when you log out or switch the laptop off. Until then every field command \
            opens the data at once instead of spending a tenth of a second deriving the key.

            The data on the disk stays sealed as before: a laptop that is off, or whose user is \
            logged out, holds no usable key. Run `field lock` before you leave the laptop \
            unattended; `field logout` and a purge ordered by the server forget the key too. \
            Unless $XDG_RUNTIME_DIR is a directory in memory (tmpfs or ramfs) that is yours \
            with mode 0700, nothing is kept and the command fails, saying why.
            """)

    @Option(help: "How long to keep the key, in hours (at most 24).")
    var hours: Double = 8
    @OptionGroup var laptop: LaptopOptions

    func run() async throws {
        try await runReportingErrors {
            guard hours > 0, hours <= 24 else { throw FieldError.invalidArgument("--hours must be more than 0 and at most 24") }
            let expiry = try FieldSession.unlock(paths: laptop.paths, secret: laptop.secret, for: UInt64(hours * 3_600_000))
            Output.line("unlocked until \(Output.time(expiry)); run field lock to lock again")
        }
    }
}

struct LockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Forget the key kept by field unlock: the next command asks for the passphrase again.")
    @OptionGroup var laptop: LaptopOptions

    func run() async throws {
        try await runReportingErrors {
            Output.line(FieldSession.lock(paths: laptop.paths) ? "locked" : "was not unlocked")
        }
    }
}
