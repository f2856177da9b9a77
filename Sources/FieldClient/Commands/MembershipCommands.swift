import ArgumentParser
import FieldKit
import Foundation
import SyncCore

extension CaseCommand {
    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hand a case over to another caseworker (supervisors).",
            discussion: """
                The new caseworker becomes a member and the primary caseworker; their next sync \
                brings the whole case with its history. With --remove-previous the previous primary \
                caseworker stops being a member, and their laptop deletes the case at its next \
                sync; otherwise they stay a member (use unshare later).
                """)
        @Argument(help: "The case id (or its first digits).")
        var caseID: String
        @Option(help: "The caseworker taking over.")
        var to: String
        @Flag(help: "Remove the previous primary caseworker from the case.")
        var removePrevious = false
        @OptionGroup var laptop: LaptopOptions

        func run() async throws {
            try await runReportingErrors {
                let session = try laptop.open()
                let caseID = try await session.caseForMembershipChange(caseID, user: to)
                let user = JSONValue.string(to)
                let removePrevious = removePrevious
                let operations = try await session.replica.write { author, lookup in
                    guard var state = try lookup(caseID) else { throw FieldError.notACase(caseID.description) }
                    let previous = state.value(of: Case.Field.primaryCaseworker)?.stringValue
                    let added = try author.add(user, to: Case.Field.members, on: state)
                    state.apply(added)
                    let primary = try author.set(Case.Field.primaryCaseworker, to: user, on: state)
                    state.apply(primary)
                    var operations = [added, primary]
                    if removePrevious, let previous, previous != user.stringValue, state.elements(of: Case.Field.members).contains(.string(previous)) {
                        operations.append(try author.remove(.string(previous), from: Case.Field.members, on: state))
                    }
                    return operations
                }
                Output.line("case \(caseID) assigned to \(to); it reaches them at the next sync")
                if operations.count == 3 { Output.line("the previous caseworker is no longer a member; their laptop deletes the case at its next sync") }
            }
        }
    }

    struct Share: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a colleague a member of the case (supervisors).")
        @Argument(help: "The case id (or its first digits).")
        var caseID: String
        @Option(help: "The colleague's user name.")
        var with: String
        @OptionGroup var laptop: LaptopOptions

        func run() async throws {
            try await runReportingErrors {
                let session = try laptop.open()
                let caseID = try await session.caseForMembershipChange(caseID, user: with)
                let user = JSONValue.string(with)
                try await session.replica.write { author, lookup in
                    [try author.add(user, to: Case.Field.members, on: try lookup(caseID)!)]
                }
                Output.line("\(with) is now a member of case \(caseID)")
            }
        }
    }

    struct Unshare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a member from the case (supervisors).",
            discussion: "Their laptop deletes the case at its next sync.")
        @Argument(help: "The case id (or its first digits).")
        var caseID: String
        @Option(help: "The member's user name.")
        var with: String
        @OptionGroup var laptop: LaptopOptions

        func run() async throws {
            try await runReportingErrors {
                let session = try laptop.open()
                let caseID = try await session.caseForMembershipChange(caseID, user: with)
                let user = JSONValue.string(with)
                try await session.replica.write { author, lookup in
                    [try author.remove(user, from: Case.Field.members, on: try lookup(caseID)!)]
                }
                Output.line("\(with) is no longer a member of case \(caseID)")
            }
        }
    }
}

extension ConflictsCommand {
    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Settle a conflict (supervisors): pick one of its values or give a merged one, with a reason.",
            discussion: "The resolution is recorded with your name, the time and the reason, and reaches every laptop at its next sync. The other values stay in the history.")
        @Argument(help: "The conflict id, as field conflicts lists it.")
        var id: String
        @Option(help: "The number of the value to keep, as field conflicts lists them.")
        var pick: Int?
        @Option(help: "A file holding the merged value.")
        var valueFile: String?
        @Option(help: "Why: required, it is part of the record.")
        var reason: String
        @OptionGroup var laptop: LaptopOptions

        func run() async throws {
            try await runReportingErrors {
                guard (pick == nil) != (valueFile == nil) else { throw FieldError.invalidArgument("give exactly one of --pick N or --value-file F") }
                let session = try laptop.open()
                try session.requireMembershipRole()
                var found: ConflictRecord?
                for caseState in try await session.replica.cases() {
                    found = try await session.replica.entities(inCase: caseState.id).flatMap { $0.conflicts() }.first { $0.id == id && $0.isOpen }
                    if found != nil { break }
                }
                guard let conflict = found else { throw FieldError.unknownID(id) }
                // A merged value of two steps means nothing: one of them holds.
                if valueFile != nil, conflict.entityType.flatMap({ CaseworkSchema.entities[$0]?.fields[conflict.field]?.form }) == .nextStepID {
                    throw FieldError.invalidArgument("competing next steps are settled by keeping one of them: use --pick N, as field conflicts lists them")
                }
                let value: JSONValue
                if let pick {
                    guard (1...conflict.values.count).contains(pick) else {
                        throw FieldError.invalidArgument("--pick must be from 1 to \(conflict.values.count)")
                    }
                    value = conflict.values[pick - 1].value
                } else {
                    guard let text = try? String(contentsOfFile: valueFile!, encoding: .utf8) else {
                        throw FieldError.invalidArgument("cannot read \(valueFile!)")
                    }
                    // Text fields take the file as it is; dates, booleans and
                    // numbers are written as JSON ("2026-12-01", true, 12).
                    let form = conflict.entityType.flatMap { CaseworkSchema.entities[$0]?.fields[conflict.field]?.form }
                    if form == nil || form == .text {
                        value = .string(text)
                    } else {
                        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                        guard let parsed = try? OperationCodec.parse(Data(trimmed.utf8), path: "value"), form!.accepts(parsed) else {
                            throw FieldError.invalidArgument("the value of \(conflict.field) must be a \(form!.rawValue) written as JSON, such as \"2026-12-01\", true or 12")
                        }
                        value = parsed
                    }
                }
                let reason = reason
                try await session.replica.write { author, _ in [try author.resolve(conflict, with: value, reason: reason)] }
                Output.line("resolved \(id); the resolution reaches every laptop at its next sync")
            }
        }
    }
}

extension FieldSession {
    /// The case whose members change, after checking the role and the user name.
    func caseForMembershipChange(_ text: String, user: String) async throws -> EntityID {
        try requireMembershipRole()
        guard UserID(user) != nil else { throw FieldError.invalidArgument("'\(user)' is not a user name") }
        return try await caseView(text).caseState.id
    }
}
