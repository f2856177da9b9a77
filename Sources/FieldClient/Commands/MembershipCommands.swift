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
                let caseID = try await session.resolve(caseID)
                let removed = try await session.assignCase(caseID, to: to, removingPrevious: removePrevious)
                Output.line("case \(caseID) assigned to \(to); it reaches them at the next sync")
                if removed { Output.line("the previous caseworker is no longer a member; their laptop deletes the case at its next sync") }
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
                let caseID = try await session.resolve(caseID)
                try await session.shareCase(caseID, with: with)
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
                let caseID = try await session.resolve(caseID)
                try await session.unshareCase(caseID, with: with)
                Output.line("\(with) is no longer a member of case \(caseID)")
            }
        }
    }
}

extension ConflictsCommand {
    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Settle a conflict (supervisors): pick one of its values, give a merged one, or keep a finalized note as it was, with a reason.",
            discussion: "The resolution is recorded with your name, the time and the reason, and reaches every laptop at its next sync. The other values stay in the history.")
        @Argument(help: "The conflict id, as field conflicts lists it.")
        var id: String
        @Option(help: "The number of the value to keep, as field conflicts lists them.")
        var pick: Int?
        @Option(help: "A file holding the merged value.")
        var valueFile: String?
        @Flag(help: "For a change that reached a note after it was finalized: keep the note as it was finalized (the late change stays beside it, not taken).")
        var keepFinalized = false
        @Option(help: "Why: required, it is part of the record.")
        var reason: String
        @OptionGroup var laptop: LaptopOptions

        func run() async throws {
            try await runReportingErrors {
                guard [pick != nil, valueFile != nil, keepFinalized].count(where: { $0 }) == 1 else {
                    throw FieldError.invalidArgument("give exactly one of --pick N, --value-file F or --keep-finalized")
                }
                let choice: ConflictChoice
                if keepFinalized { choice = .keepAsFinalized } else if let pick { choice = .value(number: pick) } else {
                    // Read whole, as a device such as /dev/null is too (its size says nothing).
                    guard let file = FileHandle(forReadingAtPath: valueFile!), let data = try? file.readToEnd() ?? Data(),
                          let text = String(data: data, encoding: .utf8) else {
                        throw FieldError.invalidArgument("cannot read \(valueFile!)")
                    }
                    choice = .merged(text)
                }
                try await laptop.open().resolveConflict(id, choice, reason: reason)
                Output.line("resolved \(id); the resolution reaches every laptop at its next sync")
            }
        }
    }
}
