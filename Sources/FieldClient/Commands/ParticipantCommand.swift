import ArgumentParser
import FieldKit
import Foundation
import SyncCore

struct ParticipantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "participant",
        abstract: "Record the people around the child: parents, the child, school, health visitor...",
        subcommands: [Add.self, List.self])

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
                let role = try Participant.Role.option(role, named: "--role")
                if let consent { _ = try Participant.Consent.option(consent, named: "--consent") }
                if let age, !(0...120).contains(age) { throw FieldError.invalidArgument("--age must be from 0 to 120") }
                let session = try laptop.open()
                let caseID = try await session.replica.resolveID(caseID)
                guard try await session.replica.entity(caseID)?.entityType == EntityType.caseFile else { throw FieldError.notACase(self.caseID) }
                var fields: [(String, JSONValue)] = [(Participant.Field.name, .string(name)), (Participant.Field.role, .string(role.rawValue))]
                if let contact { fields.append((Participant.Field.contact, .string(contact))) }
                if let age { fields.append((Participant.Field.age, .integer(Int64(age)))) }
                if let consent { fields.append((Participant.Field.consent, .string(consent))) }
                if let voice { fields.append((Participant.Field.voice, .string(voice))) }
                let id = try await session.replica.createEntity(EntityType.participant, inCase: caseID, fields: fields)
                if output.json { Output.json(["participant": .string(id.description)]) } else { Output.line(id.description) }
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
                let view = try await session.caseView(caseID)
                try await session.replica.recordRead(caseID: view.caseState.id, what: "participant-list")
                if output.json {
                    Output.json(.array(view.participants.map { participant in
                        ["participant": .string(participant.id.description), "name": participant.name.map(JSONValue.string) ?? .null,
                         "role": .string(participant.role.rawValue), "contact": participant.contact.map(JSONValue.string) ?? .null,
                         "age": participant.age.map { .integer(Int64($0)) } ?? .null, "consent": .string(participant.consent.rawValue),
                         "voice": participant.voice.map(JSONValue.string) ?? .null]
                    }))
                    return
                }
                if view.participants.isEmpty { Output.line("no participants recorded") }
                for participant in view.participants {
                    let age = participant.age.map { ", \($0) years" } ?? ""
                    Output.line("\(participant.id)  \(participant.name ?? "(no name)") — \(participant.role)\(age), consent \(participant.consent)"
                          + (participant.contact.map { ", \($0)" } ?? ""))
                    if let voice = participant.voice { Output.line("    in their own words: \(voice)") }
                }
            }
        }
    }
}
