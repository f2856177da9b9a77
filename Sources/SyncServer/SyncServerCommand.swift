import ArgumentParser

@main
struct SyncServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-server",
        abstract: "The office sync server for caseworkers' field laptops.",
        discussion: """
            Field laptops record casework notes offline and sync with this server when they \
            are back on a network. The server stores every operation the laptops push, merges \
            them with SyncCore (deterministically, keeping every concurrent value), records \
            conflicts for supervisors to settle, and hands each laptop the operations of the \
            cases its user may read.

            All data lives in one data directory (--data-dir, or SYNC_DATA_DIR): an SQLite \
            database in WAL mode. It is created on first start.

            Status: this build prepares and checks the data directory (`sync-server serve`). \
            The HTTP sync protocol, device login, the conflict and audit logs, and the \
            user and device administration commands (`user add|list`, `device list|revoke`) \
            are specified in Protocol.md and arrive with the next release.
            """,
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self
    )
}
