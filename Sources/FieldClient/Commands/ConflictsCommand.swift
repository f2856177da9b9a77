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
            // A conflict over a case's current next step names steps by id; say what each one is.
            var steps: [EntityID: NextStep] = [:]
            for caseID in caseIDs {
                let entities = try await session.replica.entities(inCase: caseID)
                let found = entities.flatMap { $0.conflicts() }.filter(\.isOpen)
                if !found.isEmpty { try await session.replica.recordRead(caseID: caseID, what: "conflicts") }
                conflicts += found
                if found.contains(where: { $0.field == Case.Field.nextStep }) {
                    for step in entities.compactMap(NextStep.init) { steps[step.id] = step }
                }
            }
            if output.json { Output.json(.array(conflicts.map { $0.jsonValue() })); return }
            if conflicts.isEmpty { Output.line("no open conflicts") }
            for conflict in conflicts {
                let isNextStep = conflict.entityType == EntityType.caseFile && conflict.field == Case.Field.nextStep
                Output.line("\(conflict.id)  \(conflict.kind.rawValue)  \(conflict.entityType ?? "?") \(conflict.entity) field \(conflict.field)"
                            + (isNextStep ? " (competing next steps: pick the one that holds)" : ""))
                for (index, value) in conflict.values.enumerated() {
                    var shown = Output.text(value.value)
                    if isNextStep, let id = value.value.stringValue.flatMap(EntityID.init), let step = steps[id] {
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
