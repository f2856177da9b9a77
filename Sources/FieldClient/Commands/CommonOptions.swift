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

    func open() throws -> FieldSession {
        try FieldSession.open(paths: paths, secret: secret)
    }
}

struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON, for scripts.")
    var json = false
}

enum Output {
    static func json(_ value: JSONValue) {
        print(String(decoding: OperationCodec.canonicalBytes(value), as: UTF8.self))
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
        FileHandle.standardError.write(Data("field: \(error)\n".utf8))
        throw ExitCode(1)
    } catch let error as OperationAuthor.AuthoringError {
        FileHandle.standardError.write(Data("field: \(error)\n".utf8))
        throw ExitCode(1)
    } catch let error as ExitCode {
        throw error
    } catch {
        // Anything else (a file the system could not read, a damaged database):
        // still one line, never a stack trace.
        let text = (error as NSError).localizedDescription.split(separator: "\n").first.map(String.init) ?? "\(error)"
        FileHandle.standardError.write(Data("field: \(text)\n".utf8))
        throw ExitCode(1)
    }
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
