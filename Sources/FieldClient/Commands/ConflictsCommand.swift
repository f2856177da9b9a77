import ArgumentParser
import FieldKit
import Foundation
import SyncCore

struct ConflictsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "List open conflicts, with every value, author, device and time.",
        subcommands: [ListOpen.self, Resolve.self],
        defaultSubcommand: ListOpen.self)
}

extension ConflictsCommand {
struct ListOpen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List open conflicts (the default).")
    @Argument(help: "Only this case (id or its first digits).")
    var caseID: String?
    @OptionGroup var laptop: LaptopOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runReportingErrors {
            let session = try laptop.open()
            var caseIDs: [EntityID] = []
            if let caseID { caseIDs = [try await session.replica.resolveID(caseID)] } else {
                caseIDs = try await session.replica.cases().map(\.id)
            }
            var conflicts: [ConflictRecord] = []
            for caseID in caseIDs {
                let found = try await session.replica.entities(inCase: caseID).flatMap { $0.conflicts() }.filter(\.isOpen)
                if !found.isEmpty { try await session.replica.recordRead(caseID: caseID, what: "conflicts") }
                conflicts += found
            }
            if output.json { Output.json(.array(conflicts.map { $0.jsonValue() })); return }
            if conflicts.isEmpty { Output.line("no open conflicts") }
            for conflict in conflicts {
                Output.line("\(conflict.id)  \(conflict.kind.rawValue)  \(conflict.entityType ?? "?") \(conflict.entity) field \(conflict.field)")
                for (index, value) in conflict.values.enumerated() {
                    Output.line("  [\(index + 1)] \(value.author) on \(value.device), \(Output.time(value.milliseconds)) (\(value.change.rawValue)): \(Output.text(value.value))")
                }
            }
        }
    }
}
}
