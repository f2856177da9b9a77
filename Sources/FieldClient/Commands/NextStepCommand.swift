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
                let plan = try await session.setNextStep(
                    in: try await session.resolve(caseID), NextStepDraft(text: text, due: dueDate, responsible: responsible))
                Output.line("next step: \(text) — due \(dueDate)")
                if plan.isInConflict {
                    Output.line("note: this case has \(plan.competing.count) competing next steps, set on different laptops at the same time;"
                        + " you changed the first one field case show lists. A supervisor settles which one holds (field conflicts).")
                }
            }
        }
    }

    struct Done: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark the case's current next step done.",
            discussion: "With --then and --due, the step that follows is set in the same change, so the case is never without one.")
        @Argument(help: "The case id (or its first digits).")
        var caseID: String
        @Option(help: "The next step that follows, as the family should be told.")
        var then: String?
        @Option(help: "Its deadline, YYYY-MM-DD.")
        var due: String?
        @Option(help: "Who is responsible for it (default: you).")
        var responsible: String?
        @OptionGroup var laptop: LaptopOptions

        func run() async throws {
            try await runReportingErrors {
                guard (then == nil) == (due == nil) else { throw FieldError.invalidArgument("give --then and --due together") }
                var next: NextStepDraft?
                if let then, let due {
                    guard let dueDate = CalendarDate(due) else { throw FieldError.invalidArgument("--due must be YYYY-MM-DD, not '\(due)'") }
                    next = NextStepDraft(text: then, due: dueDate, responsible: responsible)
                }
                let session = try laptop.open()
                let current = try await session.completeNextStep(in: try await session.resolve(caseID), then: next)
                if let next {
                    Output.line("done: \(current.text ?? "(no text)")")
                    Output.line("next step: \(next.text) — due \(next.due)")
                } else {
                    Output.line("done: \(current.text ?? "(no text)"); set the next one with field next-step set")
                }
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
            let today = CalendarDate.today()
            let horizon = days.map { CalendarDate.today(now: Date().addingTimeInterval(Double($0) * 86_400)) }
            let items = try await laptop.open().agenda(today: today, dueBy: horizon)
            if output.json {
                Output.json(.array(items.map { item in
                    ["case": .string(item.step.caseID.description), "title": .string(item.caseTitle ?? "(untitled)"),
                     "nextStep": item.step.text.map(JSONValue.string) ?? .null, "due": item.step.due.map { .string($0.description) } ?? .null,
                     "responsible": item.step.responsible.map(JSONValue.string) ?? .null, "overdue": .bool(item.isOverdue),
                     "inConflict": .bool(item.isCompeting)]
                }))
                return
            }
            if items.isEmpty { Output.line("no open next steps") }
            for item in items {
                // Competing steps of one case: both are shown until a supervisor settles which one holds.
                let mark = (item.isCompeting ? "IN CONFLICT " : "") + (item.isOverdue ? "OVERDUE " : "")
                Output.line("\(mark)\(item.step.due?.description ?? "(no date)")  \(item.caseTitle ?? "(untitled)")  \(item.step.text ?? "")"
                      + (item.step.responsible.map { "  (\($0))" } ?? "") + "  \(item.step.caseID)")
            }
        }
    }
}
