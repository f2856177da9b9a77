import ArgumentParser
import FieldKit
import Foundation
import SyncCore

struct ParticipantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "participant",
        abstract: "Record the people around the child: parents, the child, school, health visitor...",
        subcommands: [Add.self, Edit.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a participant to a case; prints its id.",
            discussion: "For the child, record the age (from 10 the child is a party to the case) and, with --voice, the child's own words.")
        @Argument(help: "The case id (or its first digits).")
        var caseID: String
        @Option(help: "The participant's name.")
        var name: String
        @Option(help: "parent, child, school, day-care, health-visitor, psychologist, support-person or other.")
        var role: String
        @Option(help: "Phone, e-mail or address.")
        var contact: String?
        @Option(help: "Age in years (for the child).")
        var age: Int?
        @Option(help: "given, refused, withdrawn or not-asked.")
        var consent: String?
        @Option(help: "The child's own voice, in the child's words.")
        var voice: String?
        @OptionGroup var laptop: LaptopOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runReportingErrors {
                let draft = ParticipantDraft(
                    name: name, role: try Participant.Role.option(role, named: "--role"), contact: contact, age: age,
                    consent: try consent.map { try Participant.Consent.option($0, named: "--consent") }, voice: voice)
                let session = try laptop.open()
                let id = try await session.addParticipant(to: try await session.resolve(caseID), draft)
                if output.json { Output.json(["participant": .string(id.description)]) } else { Output.line(id.description) }
            }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a participant: name, role, contact, age, consent, the child's voice.",
            discussion: "Only the fields given, and of those only the ones that differ, are written.")
        @Argument(help: "The participant id (or its first digits).")
        var participantID: String
        @Option(help: "The participant's name.")
        var name: String?
        @Option(help: "parent, child, school, day-care, health-visitor, psychologist, support-person or other.")
        var role: String?
        @Option(help: "Phone, e-mail or address.")
        var contact: String?
        @Option(help: "Age in years (for the child).")
        var age: Int?
        @Option(help: "given, refused, withdrawn or not-asked.")
        var consent: String?
        @Option(help: "The child's own voice, in the child's words.")
        var voice: String?
        @OptionGroup var laptop: LaptopOptions

        func run() async throws {
            try await runReportingErrors {
                let changes = ParticipantChanges(
                    name: name, role: try role.map { try Participant.Role.option($0, named: "--role") }, contact: contact, age: age,
                    consent: try consent.map { try Participant.Consent.option($0, named: "--consent") }, voice: voice)
                guard changes != ParticipantChanges() else {
                    throw FieldError.invalidArgument("nothing to change: give --name, --role, --contact, --age, --consent or --voice")
                }
                let session = try laptop.open()
                let id = try await session.resolve(participantID)
                let written = try await session.editParticipant(id, changes)
                Output.line(written == 0 ? "participant \(id) already holds that; nothing changed" : "changed participant \(id)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a case's participants.")
        @Argument(help: "The case id (or its first digits).")
        var caseID: String
        @OptionGroup var laptop: LaptopOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runReportingErrors {
                let session = try laptop.open()
                let participants = try await session.participants(in: try await session.resolve(caseID))
                if output.json {
                    Output.json(.array(participants.map { participant in
                        ["participant": .string(participant.id.description), "name": participant.name.map(JSONValue.string) ?? .null,
                         "role": .string(participant.role.rawValue), "contact": participant.contact.map(JSONValue.string) ?? .null,
                         "age": participant.age.map { .integer(Int64($0)) } ?? .null, "consent": .string(participant.consent.rawValue),
                         "voice": participant.voice.map(JSONValue.string) ?? .null]
                    }))
                    return
                }
                if participants.isEmpty { Output.line("no participants recorded") }
                for participant in participants {
                    let age = participant.age.map { ", \($0) years" } ?? ""
                    Output.line("\(participant.id)  \(participant.name ?? "(no name)") — \(participant.role)\(age), consent \(participant.consent)"
                          + (participant.contact.map { ", \($0)" } ?? ""))
                    if let voice = participant.voice { Output.line("    in their own words: \(voice)") }
                }
            }
        }
    }
}
