import ArgumentParser
import Foundation
import SyncService

struct DeviceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device",
        abstract: "List and revoke the laptops that have signed in.",
        discussion: """
            Each sign-in from a laptop registers a device, identified by its replica id. \
            Revoke a lost or stolen laptop: it can sync nothing more, and it deletes its \
            case data the next time it connects.
            """,
        subcommands: [List.self, Revoke.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List devices: id, user, name, last seen, status.")
        @OptionGroup var data: DataDirectoryOptions

        func run() async throws {
            let devices = try await data.openDatabase(create: false).devices()
            if devices.isEmpty { AdminOutput.line("no devices have signed in") }
            for device in devices {
                let seen = device.lastSeenAt.map(Timestamp.text) ?? "never"
                let status = device.revokedAt.map { "revoked \(Timestamp.text($0))" } ?? "active"
                AdminOutput.line("\(device.replica)\t\(device.user)\t\(device.name)\tlast seen \(seen)\t\(status)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a device.")
        @Argument(help: "The device id, as `device list` shows it.")
        var id: String
        @OptionGroup var data: DataDirectoryOptions

        func run() async throws {
            do {
                try await data.openDatabase(create: false).revokeDevice(id)
                // A running server may hold the token as checked for this long.
                try await Task.sleep(for: ServerDatabase.tokenCheckLifetime)
            } catch let error as AccountError {
                throw ValidationError(error.description)
            }
            AdminOutput.line("revoked \(id); it will delete its case data at its next contact")
        }
    }
}
