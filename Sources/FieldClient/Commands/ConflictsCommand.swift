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
            var only: EntityID?
            if let caseID { only = try await session.resolve(caseID) }
            let list = try await session.openConflicts(in: only)
            let conflicts = list.conflicts
            if output.json { Output.json(.array(conflicts.map { $0.jsonValue() })); return }
            if conflicts.isEmpty { Output.line("no open conflicts") }
            for conflict in conflicts {
                let isNextStep = conflict.isBetweenNextSteps
                Output.line("\(conflict.id)  \(conflict.kind.rawValue)  \(conflict.entityType ?? "?") \(conflict.entity) field \(conflict.field)"
                            + (isNextStep ? " (competing next steps: pick the one that holds)" : ""))
                for (index, value) in conflict.values.enumerated() {
                    var shown = Output.text(value.value)
                    if isNextStep, let step = list.nextStep(named: value.value) {
                        shown += " — next step: \(Output.text(step.text.map(JSONValue.string) ?? "(no text)")), due \(step.due?.description ?? "(no date)")"
                            + (step.responsible.map { ", \(Output.text(.string($0)))" } ?? "")
                    }
                    Output.line("  [\(index + 1)] \(value.author) on \(value.device), \(Output.time(value.milliseconds)) (\(value.change.rawValue)): \(shown)")
                }
            }
        }
    }
}
}
