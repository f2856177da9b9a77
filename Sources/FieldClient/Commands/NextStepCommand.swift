import ArgumentParser
import FieldKit
import Foundation
import SyncCore

struct NextStepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next-step",
        abstract: "Set or complete a case's next step: what happens next, who does it, by when.",
        subcommands: [Set.self, Done.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the case's next step and its deadline.",
            discussion: "Changes the current open next step, or creates one if there is none and makes it the case's current one. If two laptops create one at the same time, the case shows both as competing until a supervisor settles which one holds.")
        @Argument(help: "The case id (or its first digits).")
        var caseID: String
        @Argument(help: "What happens next, as the family should be told.")
        var text: String
        @Option(help: "The deadline, YYYY-MM-DD.")
        var due: String
        @Option(help: "Who is responsible (default: you).")
        var responsible: String?
        @OptionGroup var laptop: LaptopOptions

        func run() async throws {
            try await runReportingErrors {
                guard let dueDate = CalendarDate(due) else { throw FieldError.invalidArgument("--due must be YYYY-MM-DD, not '\(due)'") }
                let session = try laptop.open()
                let view = try await session.caseView(caseID)
                let fields: [(String, JSONValue)] = [
                    (NextStep.Field.text, .string(text)), (NextStep.Field.due, .string(dueDate.description)),
                    (NextStep.Field.responsible, .string(responsible ?? session.settings.user)),
                    (NextStep.Field.status, .string(NextStep.Status.open.rawValue)),
                ]
                let plan = view.nextStepPlan
                if let current = plan.current {
                    try await session.replica.setFields(current.id, fields)
                } else {
                    _ = try await session.replica.createNextStep(inCase: view.caseState.id, fields: fields)
                }
                Output.line("next step: \(text) — due \(dueDate)")
                if plan.isInConflict {
                    Output.line("note: this case has \(plan.competing.count) competing next steps, set on different laptops at the same time;"
                        + " you changed the first one field case show lists. A supervisor settles which one holds (field conflicts).")
                }
            }
        }
    }

    struct Done: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark the case's current next step done.")
        @Argument(help: "The case id (or its first digits).")
        var caseID: String
        @OptionGroup var laptop: LaptopOptions

        func run() async throws {
            try await runReportingErrors {
                let session = try laptop.open()
                let view = try await session.caseView(caseID)
                guard let current = view.currentNextStep else { throw FieldError.invalidArgument("the case has no open next step") }
                try await session.replica.setFields(current.id, [(NextStep.Field.status, .string(NextStep.Status.done.rawValue))])
                Output.line("done: \(current.text ?? "(no text)"); set the next one with field next-step set")
            }
        }
    }
}

struct AgendaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agenda",
        abstract: "The current next step of each of your cases, by due date, overdue first; competing ones are all shown, marked.")
    @Option(help: "Only steps due within this many days (overdue ones are always shown).")
    var days: Int?
    @OptionGroup var laptop: LaptopOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runReportingErrors {
            let session = try laptop.open()
            let today = CalendarDate.today()
            let horizon = days.map { CalendarDate.today(now: Date().addingTimeInterval(Double($0) * 86_400)) }
            var items: [(step: NextStep, title: String, inConflict: Bool)] = []
            for caseState in try await session.replica.cases().filter({ !$0.isDeleted }) {
                let view = CaseView(caseState: caseState, entities: try await session.replica.entities(inCase: caseState.id))
                let plan = view.nextStepPlan
                for step in plan.live {
                    if let horizon, let due = step.due, due > horizon, !step.isOverdue(today: today) { continue }
                    items.append((step, view.record?.title ?? "(untitled)", plan.isCompeting(step)))
                }
                if !view.nextSteps.isEmpty { try await session.replica.recordRead(caseID: caseState.id, what: "agenda") }
            }
            let far = CalendarDate(year: 9999, month: 12, day: 31)!
            items.sort { ($0.step.due ?? far, $0.title) < ($1.step.due ?? far, $1.title) }
            if output.json {
                Output.json(.array(items.map { item in
                    ["case": .string(item.step.caseID.description), "title": .string(item.title),
                     "nextStep": item.step.text.map(JSONValue.string) ?? .null, "due": item.step.due.map { .string($0.description) } ?? .null,
                     "responsible": item.step.responsible.map(JSONValue.string) ?? .null, "overdue": .bool(item.step.isOverdue(today: today)),
                     "inConflict": .bool(item.inConflict)]
                }))
                return
            }
            if items.isEmpty { Output.line("no open next steps") }
            for item in items {
                // Competing steps of one case: both are shown until a supervisor settles which one holds.
                let mark = (item.inConflict ? "IN CONFLICT " : "") + (item.step.isOverdue(today: today) ? "OVERDUE " : "")
                Output.line("\(mark)\(item.step.due?.description ?? "(no date)")  \(item.title)  \(item.step.text ?? "")"
                      + (item.step.responsible.map { "  (\($0))" } ?? "") + "  \(item.step.caseID)")
            }
        }
    }
}
