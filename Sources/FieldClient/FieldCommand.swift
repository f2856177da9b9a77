import ArgumentParser

@main
struct FieldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "field")
    func run() throws {}
}
