import ArgumentParser
import Foundation
import SyncCore
import SyncService

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Add, list and remove the people who may sign in.",
        discussion: """
            Roles: a caseworker reads and writes the cases they are a member of; a \
            supervisor reads and writes every case, changes who works on a case, resolves \
            conflicts and reads the audit log (GET /v1/audit and the review pages' access \
            log); an admin may do the same as a supervisor, nothing more through the API. \
            Users and devices are managed with this command on the server only. Passwords \
            are stored as bcrypt hashes only.
            """,
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user.",
            discussion: """
                The password is read from standard input with --password-stdin (its first \
                line), otherwise asked for on the terminal. It must have at least \
                \(PasswordPolicy.minimumLength) characters, not be one character repeated, and not \
                be a common password (a few ordinary words in a row are a good one). \
                Passwords of existing users keep working.

                The name is stored in lower case (NFKC, then lower-cased; "Anna" is anna, and \
                anna signs in as "Anna" too). A name that differs from an existing one only by \
                '.', '_', '-' or look-alike characters (0 and o; 1, l and i) is refused: \
                "anna.h" beside "annah" would read as the same person in the audit log.

                Example: printf '%s\\n' "$PASSWORD" | sync-server user add mette --role caseworker --password-stdin
                """)

        @Argument(help: "Login name: a-z, 0-9, '.', '_', '-'.")
        var name: String

        @Option(help: "caseworker, supervisor or admin.")
        var role: String

        @Flag(help: "Read the password from standard input.")
        var passwordStdin = false

        @Option(help: .hidden)
        var bcryptCost = 12

        @OptionGroup var data: DataDirectoryOptions

        func validate() throws {
            // bcrypt stops the whole process on a cost outside its range.
            guard ServerDatabase.bcryptCosts.contains(bcryptCost) else {
                throw ValidationError(AccountError.invalidBcryptCost(bcryptCost).description)
            }
        }

        func run() async throws {
            guard let role = UserRole(rawValue: role) else {
                throw ValidationError("unknown role '\(role)'; use caseworker, supervisor or admin")
            }
            let password = try Self.readPassword(fromStandardInput: passwordStdin)
            let added: String
            do {
                added = try await data.openDatabase(create: true).addUser(name, role: role, password: password, bcryptCost: bcryptCost)
            } catch let error as AccountError {
                throw ValidationError(error.description)
            }
            AdminOutput.line("added \(role.rawValue) \(added)")
        }

        static func readPassword(fromStandardInput: Bool) throws -> String {
            if fromStandardInput {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                    throw ValidationError("--password-stdin: standard input held no password")
                }
                return line
            }
            guard isatty(STDIN_FILENO) != 0, let entered = getpass("Password: ") else {
                throw ValidationError("no terminal to ask for the password on; use --password-stdin")
            }
            return String(cString: entered)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users, with role and status.")
        @OptionGroup var data: DataDirectoryOptions

        func run() async throws {
            let users = try await data.openDatabase(create: false).users()
            if users.isEmpty { AdminOutput.line("no users; add one with: sync-server user add NAME --role ROLE") }
            for user in users {
                let status = user.removedAt.map { "removed \(Timestamp.text($0))" } ?? "active"
                AdminOutput.line("\(user.name)\t\(user.role.rawValue)\t\(status)")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a user.",
            discussion: """
                The user can no longer sign in, and every device of theirs is told to delete \
                its case data at its next contact. Their past operations and the audit log \
                are kept.
                """)
        @Argument(help: "The user's login name.")
        var name: String
        @OptionGroup var data: DataDirectoryOptions

        func run() async throws {
            do {
                try await data.openDatabase(create: false).removeUser(name)
                // A running server may hold their tokens as checked for this long.
                try await Task.sleep(for: ServerDatabase.tokenCheckLifetime)
            } catch let error as AccountError {
                throw ValidationError(error.description)
            }
            AdminOutput.line("removed \(name)")
        }
    }
}

enum Timestamp {
    static func text(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
