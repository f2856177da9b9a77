import ArgumentParser
import FieldKit
import Foundation
import SyncCore

/// Options every command takes: where the data is, and how to unlock it.
struct LaptopOptions: ParsableArguments {
    @Option(help: "Directory for this laptop's data and settings (FIELD_HOME).")
    var home: String?

    @Option(help: "File holding the encryption key, readable only by you (FIELD_KEY_FILE).")
    var keyFile: String?

    var paths: FieldPaths { FieldPaths.resolve(home: home) }

    func secret() throws -> Vault.Secret {
        try FieldSession.secret(keyFile: keyFile) {
            guard isatty(STDIN_FILENO) != 0, let entered = getpass("Passphrase for the local data: ") else { return nil }
            return String(cString: entered)
        }
    }

    /// Opens the local data; a repair of changes stamped by a broken clock
    /// (an earlier version's) is told on standard error, once.
    func open() throws -> FieldSession {
        let session = try FieldSession.open(paths: paths, secret: secret)
        if let notice = session.clockRepair?.notice {
            FileHandle.standardError.write(Data("field: \(notice)\n".utf8))
        }
        return session
    }
}

struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON, for scripts.")
    var json = false
}

/// Everything `field` prints goes through here. Most of it holds text that
/// came from the server or from colleagues' laptops (titles, names, note
/// bodies, error details), so control characters are escaped on the way out
/// (see `TerminalText`): no one can forge a line or drive the terminal by
/// what they write in a case.
enum Output {
    /// One line, every control character in it escaped.
    static func line(_ text: String) {
        print(TerminalText.escaped(text))
    }

    /// Several lines of someone's text, such as a note body: its line breaks
    /// stay, other control characters are escaped.
    static func block(_ text: String) {
        print(TerminalText.escapedBlock(text))
    }

    /// JSON for scripts, which may well be printed on a terminal too: the
    /// encoder escapes C0 controls, the rest are escaped here, as JSON.
    static func json(_ value: JSONValue) {
        print(TerminalText.escapedJSON(String(decoding: OperationCodec.canonicalBytes(value), as: UTF8.self)))
    }

    static func time(_ milliseconds: UInt64) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .null: "(empty)"
        default: String(decoding: OperationCodec.canonicalBytes(value), as: UTF8.self)
        }
    }
}

/// Errors reach the user as one line and a non-zero exit.
func runReportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as FieldError {
        throw reportError("\(error)")
    } catch let error as OperationAuthor.AuthoringError {
        throw reportError("\(error)")
    } catch let error as ExitCode {
        throw error
    } catch {
        // Anything else (a file the system could not read, a damaged database):
        // still one line, never a stack trace.
        let text = (error as NSError).localizedDescription.split(separator: "\n").first.map(String.init) ?? "\(error)"
        throw reportError(text)
    }
}

/// Writes one line on standard error and returns exit status 1 to throw. The
/// message may quote the server's words, so it is escaped like everything
/// else printed.
func reportError(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("field: \(TerminalText.escaped(message))\n".utf8))
    return ExitCode(1)
}

extension OpenEnumeration {
    /// A command-line value that must be one of the known values.
    static func option(_ text: String, named option: String) throws -> Self {
        let value = Self(rawValue: text)
        guard value.isKnown else {
            throw FieldError.invalidArgument("\(option) must be one of \(known.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
        }
        return value
    }
}
