import ArgumentParser
import FieldKit
import Foundation
import SyncCore

struct CaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case",
        abstract: "Create, list and show cases.",
        subcommands: [New.self, List.self, Show.self, Assign.self, Share.self, Unshare.self])

    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a case; prints its id.",
            discussion: "You become its member and primary caseworker. Works offline; field sync sends it.")
        @Argument(help: "The case title, e.g. the family's name.")
        var title: String
        @Option(help: "The municipality's reference for the citizen, such as 0101-A; never a CPR number.")
        var citizen: String?
        @OptionGroup var laptop: LaptopOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runReportingErrors {
                let id = try await laptop.open().createCase(title: title, citizenReference: citizen)
                if output.json { Output.json(["case": .string(id.description)]) } else { Output.line(id.description) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the cases on this laptop, with their next step.")
        @Option(help: "Only the cases whose title or citizen reference holds this text, in any case of letters.")
        var search: String?
        @OptionGroup var laptop: LaptopOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runReportingErrors {
                let today = CalendarDate.today()
                let rows: [JSONValue] = try await laptop.open().cases(matching: search ?? "").map { view in
                    let plan = view.nextStepPlan
                    let step = plan.current
                    return [
                        "case": .string(view.caseState.id.description), "title": view.record?.title.map(JSONValue.string) ?? .null,
                        "status": .string(view.record?.status.rawValue ?? "open"),
                        "nextStep": step?.text.map(JSONValue.string) ?? .null, "due": step?.due.map { .string($0.description) } ?? .null,
                        "overdue": .bool(step?.isOverdue(today: today) ?? false),
                        "openConflicts": .integer(Int64(view.openConflictCount)),
                        "competingNextSteps": .integer(Int64(plan.competing.count)),
                    ]
                }
                if output.json { Output.json(.array(rows)); return }
                if rows.isEmpty { Output.line("no cases on this laptop; create one with field case new TITLE, or run field sync") }
                for row in rows {
                    let due = row.member("due")?.stringValue.map { " due \($0)" } ?? ""
                    let overdue = row.member("overdue") == .bool(true) ? " OVERDUE" : ""
                    let conflicts = row.member("openConflicts")?.integerValue ?? 0
                    let competing = row.member("competingNextSteps")?.integerValue ?? 0
                    Output.line("\(Output.text(row.member("case")!))  \(Output.text(row.member("title")!))  [\(Output.text(row.member("status")!))]"
                          + (competing > 1 ? "  next: \(competing) competing next steps"
                             : "  next: \(row.member("nextStep")?.stringValue ?? "(none)")\(due)\(overdue)")
                          + (conflicts > 0 ? "  \(conflicts) open conflicts" : ""))
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a case: next step and deadline first, then participants, notes and open conflicts.")
        @Argument(help: "The case id (or its first digits).")
        var id: String
        @OptionGroup var laptop: LaptopOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runReportingErrors {
                let session = try laptop.open()
                let caseID = try await session.resolve(id)
                let view = try await session.openCase(caseID)
                let today = CalendarDate.today()
                let plan = view.nextStepPlan
                if output.json {
                    func stepJSON(_ step: NextStep) -> JSONValue {
                        ["id": .string(step.id.description), "text": step.text.map(JSONValue.string) ?? .null,
                         "due": step.due.map { .string($0.description) } ?? .null,
                         "responsible": step.responsible.map(JSONValue.string) ?? .null, "status": .string(step.status.rawValue),
                         "overdue": .bool(step.isOverdue(today: today))]
                    }
                    Output.json([
                        "case": .string(caseID.description), "title": view.record?.title.map(JSONValue.string) ?? .null,
                        "nextStep": plan.current.map(stepJSON) ?? .null,
                        "competingNextSteps": .array(plan.competing.map(stepJSON)),
                        // Every step, done and set-aside ones too: nothing written is hidden.
                        "nextSteps": .array(plan.steps.map { step in
                            guard case .object(var members) = stepJSON(step) else { return .null }
                            members["inForce"] = .bool(plan.live.contains { $0.id == step.id })
                            return .object(members)
                        }),
                        "participants": .array(view.participants.map { ["id": .string($0.id.description), "name": $0.name.map(JSONValue.string) ?? .null, "role": .string($0.role.rawValue)] }),
                        "notes": .array(view.notes.map { ["id": .string($0.id.description), "kind": .string($0.kind.rawValue), "title": $0.title.map(JSONValue.string) ?? .null, "date": $0.date.map { .string($0.description) } ?? .null, "status": .string($0.status.rawValue), "decidedAfterFinalization": .array($0.fieldsDecidedAfterFinalization.map(JSONValue.string))] }),
                        "openConflicts": .array(view.openConflicts.map { $0.jsonValue() }),
                    ])
                    return
                }
                Output.line("\(view.record?.title ?? "(untitled)")  [\(view.record?.status.rawValue ?? "open")]  \(caseID)")
                if plan.isInConflict {
                    Output.line("Next step: \(plan.competing.count) competing next steps, set on different laptops at the same time;"
                        + " a supervisor settles which one holds (field conflicts):")
                    for (index, step) in plan.competing.enumerated() {
                        let overdue = step.isOverdue(today: today) ? "  OVERDUE" : ""
                        Output.line("  [\(index + 1)] \(step.text ?? "(no text)") — due \(step.due?.description ?? "(no date)")"
                              + (step.responsible.map { ", \($0)" } ?? "") + (step.status == .open ? "" : " [\(step.status)]") + overdue
                              + "  \(step.id)")
                    }
                } else if let step = plan.current {
                    let overdue = step.isOverdue(today: today) ? "  OVERDUE" : ""
                    Output.line("Next step: \(step.text ?? "(no text)") — due \(step.due?.description ?? "(no date)")"
                          + (step.responsible.map { ", \($0)" } ?? "") + overdue)
                } else {
                    Output.line("Next step: none set — the family does not know what happens next")
                }
                // A case written before it named its step may hold several open ones: none is hidden.
                let alsoOpen = plan.isNamed ? [] : plan.live.filter { $0.id != plan.current?.id }
                if !alsoOpen.isEmpty {
                    Output.line("Also open: " + alsoOpen.map { "\($0.text ?? "(no text)") — due \($0.due?.description ?? "(no date)")" }
                        .joined(separator: "; "))
                }
                let setAside = plan.steps.filter { $0.status == .open && !plan.live.contains($0) }
                if !setAside.isEmpty {
                    Output.line("Set aside (open, but no longer the case's next step): "
                        + setAside.map { "\($0.text ?? "(no text)") — due \($0.due?.description ?? "(no date)")" }.joined(separator: "; "))
                }
                Output.line("")
                Output.line("Participants:")
                if view.participants.isEmpty { Output.line("  (none)") }
                for participant in view.participants { Output.line("  \(participant.name ?? "(no name)") — \(participant.role)") }
                Output.line("")
                Output.line("Notes:")
                if view.notes.isEmpty { Output.line("  (none)") }
                for note in view.notes {
                    let decided = note.fieldsDecidedAfterFinalization
                    Output.line("  \(note.id)  \(note.date?.description ?? "----------")  \(note.kind)  \(note.title ?? "(untitled)")  [\(note.status.rawValue)]"
                        + (decided.isEmpty ? "" : "  decided after finalization: \(decided.joined(separator: ", ")) (field note show)"))
                }
                Output.line("")
                Output.line("Open conflicts: \(view.openConflicts.isEmpty ? "none" : "")")
                for conflict in view.openConflicts { Output.line("  \(conflict.id)  \(conflict.field): \(conflict.values.count) values") }
            }
        }
    }
}
