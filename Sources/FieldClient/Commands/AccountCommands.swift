import ArgumentParser
import FieldKit
import Foundation
import SyncCore

struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign in and register this laptop with the sync server.",
        discussion: """
            Needs the network. On first use it also creates the encrypted local store, under \
            your passphrase (FIELD_PASSPHRASE or a prompt) or a key file. A new passphrase must \
            have at least 12 characters and not be a common password. The password is read \
            from standard input with --password-stdin, otherwise asked for on the terminal.

            The server must be an https:// address: plain http:// is refused except to this \
            machine (127.0.0.1, ::1, localhost). If the server's certificate is signed by your \
            municipality's own CA, give that CA's certificate with --ca-file; it is remembered \
            for field sync.
            """)

    @Option(help: "The sync server, e.g. https://sync.kommune.example.")
    var server: String
    @Option(help: "The CA certificate (PEM) that the server's certificate is signed by, when it is the municipality's own CA (FIELD_CA_FILE).")
    var caFile: String?
    @Option(help: "Your user name.")
    var user: String
    @Flag(help: "Read the password from standard input.")
    var passwordStdin = false
    @Option(help: "A name for this laptop, shown to administrators.")
    var deviceName: String = ProcessInfo.processInfo.hostName
    @OptionGroup var laptop: LaptopOptions

    func run() async throws {
        try await runReportingErrors {
            // A plain http address is refused before the password is asked for.
            _ = try ServerAddress(server)
            let password: String
            if passwordStdin {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                    throw FieldError.invalidArgument("--password-stdin: standard input held no password")
                }
                password = line
            } else {
                guard isatty(STDIN_FILENO) != 0, let entered = getpass("Password for \(user): ") else {
                    throw FieldError.invalidArgument("no terminal to ask for the password on; use --password-stdin")
                }
                password = String(cString: entered)
            }
            let session = try await FieldSession.login(
                paths: laptop.paths, server: server, user: user, password: password, deviceName: deviceName,
                caFile: caFile ?? ProcessInfo.processInfo.environment["FIELD_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 },
                secret: laptop.secret)
            Output.line("signed in as \(session.settings.user) (\(session.settings.role)) on \(session.settings.server); this laptop is device \(session.settings.device)")
        }
    }
}

struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Sign out and delete the case data on this laptop.",
        discussion: "Refused while changes wait to be synced: run field sync first.")
    @OptionGroup var laptop: LaptopOptions

    func run() async throws {
        try await runReportingErrors {
            try await laptop.open().logout()
            Output.line("signed out; the case data on this laptop was deleted")
        }
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Server, user, device, last sync, changes waiting, open conflicts.",
        discussion: "Without the passphrase or an unlocked key, only the server, user and device are shown: the rest is sealed.")
    @OptionGroup var laptop: LaptopOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runReportingErrors {
            let session: FieldSession
            do {
                session = try laptop.open()
            } catch FieldError.noPassphrase {
                try showLocked()
                return
            }
            let state = try await session.syncState()
            if output.json {
                Output.json([
                    "server": .string(session.settings.server), "user": .string(session.settings.user),
                    "role": .string(session.settings.role), "device": .string(session.settings.device),
                    "lastSync": state.lastSyncAt.map { .integer($0) } ?? .null,
                    "waitingOperations": .integer(Int64(state.waitingOperations)), "openConflicts": .integer(Int64(state.openConflicts)),
                ])
                return
            }
            Output.line("server:      \(session.settings.server)")
            Output.line("user:        \(session.settings.user) (\(session.settings.role))")
            Output.line("device:      \(session.settings.device)")
            Output.line("last sync:   \(state.lastSyncAt.map { Output.time(UInt64($0)) } ?? "never")")
            Output.line("waiting:     \(state.waitingOperations) changes to push")
            Output.line("conflicts:   \(state.openConflicts) open")
        }
    }

    /// What a locked laptop can tell: who it is to the server. The counts of
    /// changes and conflicts come from the sealed data.
    func showLocked() throws {
        guard let settings = try FieldSettings.load(from: laptop.paths) else { throw FieldError.notSetUp(laptop.paths.data.path) }
        if output.json {
            Output.json(["server": .string(settings.server), "user": .string(settings.user), "role": .string(settings.role),
                         "device": .string(settings.device), "locked": .bool(true)])
            return
        }
        Output.line("server:      \(settings.server)")
        Output.line("user:        \(settings.user) (\(settings.role))")
        Output.line("device:      \(settings.device)")
        Output.line("locked:      changes waiting and conflicts are sealed; run field unlock, or set FIELD_PASSPHRASE or --key-file")
    }
}

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Push your changes and pull your colleagues'.",
        discussion: """
            Needs the network. On a network failure it retries with backoff, then stops with \
            a message; everything stays on the laptop and the next sync resumes without \
            duplicates. If the server's disk is full it stops at once and says so: try again \
            later, or ask your office's IT. Your changes leave the laptop's outbox only once the server has \
            acknowledged them. If the server says that this laptop was revoked, or that you \
            lost access to a case, that data is deleted from the laptop and you are told.
            """)
    @OptionGroup var laptop: LaptopOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runReportingErrors {
            let session = try laptop.open()
            let terminal = isatty(STDERR_FILENO) != 0
            let report = try await session.sync { phase, done, total in
                // A bar on a terminal; plain lines for logs and scripts, one per batch.
                let line = terminal ? "\r" + ProgressBar.line(phase, done: done, total: total) : "\(phase): \(done)" + (total.map { " of \($0)" } ?? "") + "\n"
                FileHandle.standardError.write(Data(line.utf8))
            }
            if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
            if let redated = report.redated {
                FileHandle.standardError.write(Data("field: \(TerminalText.escaped(redated.notice))\n".utf8))
            }
            if output.json {
                Output.json(["pushed": .integer(Int64(report.pushed)), "pulled": .integer(Int64(report.pulled)),
                             "removedCases": .array(report.removedCases.map { .string($0.description) }),
                             "unsentOfRemovedCases": .object(Dictionary(uniqueKeysWithValues: report.unsentOfRemovedCases.map {
                                 ($0.key.description, .integer(Int64($0.value))) })),
                             "redated": .integer(Int64(report.redated?.count ?? 0)),
                             "resent": .integer(Int64(report.resent)), "pulledFromStart": .bool(report.pulledFromStart),
                             "waitingCases": .object(Dictionary(uniqueKeysWithValues: report.waitingCases.map { ($0.key.description, .string($0.value)) })),
                             "notRestored": .object(Dictionary(uniqueKeysWithValues: report.notRestored.map { ($0.key.description, .string($0.value)) })),
                             "withdrawn": .object(Dictionary(uniqueKeysWithValues: report.withdrawn.map { ($0.operation.id.description, .string($0.code)) }))])
            } else {
                Output.line("pushed \(report.pushed), pulled \(report.pulled)")
                if report.resent > 0 {
                    Output.line("the server had lost \(report.resent) changes made on this laptop (it was restored from a backup): they were sent again")
                }
                for caseID in report.removedCases {
                    let unsent = report.unsentOfRemovedCases[caseID] ?? 0
                    let lost = switch unsent {
                    case 0: ""
                    case 1: "; changes made here to 1 of its entries had not reached the server and were deleted with it"
                    default: "; changes made here to \(unsent) of its entries had not reached the server and were deleted with it"
                    }
                    Output.line("you no longer have access to case \(caseID): it was deleted from this laptop" + lost)
                }
                for (id, code) in report.notRestored.sorted(by: { $0.key < $1.key }) {
                    Output.line("change \(id) was lost by the server and is refused now (\(code)); it stays in this laptop's history only")
                }
                for withdrawn in report.withdrawn {
                    let what = if case .resolve = withdrawn.operation.change { "your decision on a conflict" } else { "your change of who works on a case" }
                    Output.line("\(what) in case \(withdrawn.operation.caseID) was refused: your role no longer allows it (\(withdrawn.code)); it was taken back on this laptop")
                }
                for (caseID, code) in report.waitingCases.sorted(by: { $0.key < $1.key }) {
                    let why = switch code {
                    case "not-a-member": "the server says you are not a member of the case; ask your team leader to give you access, then sync again"
                    case "unknown-entity": "the server does not know a note or other entry of it yet (restored from a backup?); they go once the laptop that created it has synced"
                    default: "the server does not know the case yet (restored from a backup?); they go once the laptop that created it has synced"
                    }
                    Output.line("changes to case \(caseID) wait on this laptop: " + why)
                }
            }
            if !report.waitingCases.isEmpty {
                throw FieldError.changesWaiting(cases: report.waitingCases.count)
            }
        }
    }
}
