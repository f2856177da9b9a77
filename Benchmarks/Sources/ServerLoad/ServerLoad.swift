import ArgumentParser
import Foundation

/// End-to-end measurements of a running `sync-server`, over HTTP on 127.0.0.1
/// only. `scripts/bench/server-benchmarks` builds the server, adds the users,
/// starts the server on a fresh data directory and runs these commands.
///
/// Every loop here is bounded in count and in time. Each scenario prints its
/// figures and ends with `summary:` lines (one per goal) and `result:` lines
/// (key=value) that the script collects.
@main
struct ServerLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ServerLoad",
        abstract: "Measure a running sync-server over HTTP on 127.0.0.1.",
        subcommands: [SyncLoad.self, PullCost.self, InitialSync.self, SignInStorm.self]
    )
}

/// How to reach the server. The host is always 127.0.0.1: this tool never
/// sends anything anywhere else.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Port of the sync-server on 127.0.0.1.")
    var port: Int

    @Option(help: "Password of every user the scenario signs in as.")
    var password = "bench password 1234"

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be from 1 to 65535") }
    }
}

/// User names as the script adds them: prefix + two-digit number, from 01.
func userNames(prefix: String, count: Int) -> [String] {
    (1...max(1, count)).map { number in
        let digits = String(number)
        return prefix + String(repeating: "0", count: max(0, 2 - digits.count)) + digits
    }
}

struct LoadError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
