import ArgumentParser

@main
struct SyncServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-server",
        abstract: "The office sync server for caseworkers' field laptops.",
        discussion: """
            Field laptops record casework notes offline and sync with this server when they \
            are back on a network. The server checks and stores every operation the laptops \
            push, merges them with SyncCore (deterministically, keeping every concurrent \
            value), keeps the conflict log for supervisors and an append-only audit log of \
            who did and read what, and hands each laptop the operations of the cases its \
            user may read.

            All data lives in one data directory (--data-dir, or SYNC_DATA_DIR, default \
            ./sync-data): an SQLite database in WAL mode, created on first start.

            Typical first steps:
              sync-server user add dorte --role supervisor --password-stdin < password.txt
              sync-server                      # serve on 127.0.0.1:8080
            """,
        subcommands: [ServeCommand.self, UserCommand.self, DeviceCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
