import ArgumentParser

@main
struct SyncServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sync-server")
    func run() throws {}
}
