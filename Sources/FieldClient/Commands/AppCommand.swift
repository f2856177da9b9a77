import ArgumentParser
import FieldApp
import FieldKit
import Foundation
import Logging
import PageKit

struct AppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app",
        abstract: "Open your cases in the browser: the caseworker's app, offline, on this laptop only.",
        discussion: """
            Starts a small web server on 127.0.0.1, prints its address and opens it in your \
            default browser. The address works once: it gives that browser a session, and \
            anything else that asks the app gets nothing. If the local data is locked, the \
            first page asks for your passphrase. The Lås button in the header locks the data \
            again, and so does field lock when the app used the key field unlock kept; the app \
            also locks itself after --idle-lock minutes without use. Ctrl-C stops the app.
            """)

    @Option(help: "The port on 127.0.0.1 (default: a free one).")
    var port: Int?

    @Flag(help: "Print the address without opening a browser.")
    var noBrowser = false

    @Option(help: "The language of the pages, da or en (FIELD_LANGUAGE; default: the browser's, else Danish).")
    var language: String?

    @Option(help: "Minutes without use after which the app locks the data (FIELD_IDLE_LOCK; default 15; 0: never).")
    var idleLock: Int?

    @OptionGroup var laptop: LaptopOptions

    func run() async throws {
        try await runReportingErrors {
            if let port, !(1...65_535).contains(port) {
                throw FieldError.invalidArgument("--port must be 1 to 65535, not \(port)")
            }
            let setting = language ?? ProcessInfo.processInfo.environment["FIELD_LANGUAGE"].flatMap { $0.isEmpty ? nil : $0 }
            let pageLanguage = try setting.map { text in
                guard let chosen = Language(setting: text) else {
                    throw FieldError.invalidArgument("--language must be da or en, not '\(text)'")
                }
                return chosen
            }
            let idleText = idleLock.map(String.init) ?? ProcessInfo.processInfo.environment["FIELD_IDLE_LOCK"].flatMap { $0.isEmpty ? nil : $0 }
            let idleMinutes = try idleText.map { text in
                guard let minutes = Int(text), (0...24 * 60).contains(minutes) else {
                    throw FieldError.invalidArgument("--idle-lock must be a number of minutes from 0 (never) to 1440, not '\(text)'")
                }
                return minutes
            } ?? Int(AppServer.Configuration.defaultIdleLock.components.seconds / 60)
            let keyFile = (laptop.keyFile ?? ProcessInfo.processInfo.environment["FIELD_KEY_FILE"]).flatMap { $0.isEmpty ? nil : $0 }
            let session = try openedIfUnlocked()
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = .notice
                return handler
            }
            let launcher = noBrowser ? nil : BrowserLauncher()
            // The forwarding file holds the secret address: gone when the app
            // stops (Ctrl-C, SIGTERM, an error), not only once used or after a minute.
            defer { launcher?.forget() }
            let configuration = AppServer.Configuration(
                paths: laptop.paths, language: pageLanguage, port: port ?? 0,
                keyFile: keyFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path },
                idleLock: idleMinutes == 0 ? nil : .seconds(idleMinutes * 60))
            let server = AppServer(configuration: configuration, session: session,
                                   whenOpened: { launcher?.forget() })
            try await server.run { address in
                if let launcher { _ = try? launcher.open(address) }
                // Written at once, not through print's buffer: under a script or a
                // supervisor standard output is a pipe, and the address must reach it
                // now, not when the app stops.
                let line = "field app: open \(address) in your browser (the address works once); Ctrl-C stops the app"
                FileHandle.standardOutput.write(Data((TerminalText.escaped(line) + "\n").utf8))
            }
        }
    }

    /// The local data opened with a key kept by `field unlock`, a key file or
    /// FIELD_PASSPHRASE; nil when none is at hand, for the first page to ask.
    private func openedIfUnlocked() throws -> FieldSession? {
        do {
            let session = try FieldSession.open(paths: laptop.paths, secret: { try FieldSession.secret(keyFile: laptop.keyFile) })
            if let notice = session.clockRepair?.notice {
                FileHandle.standardError.write(Data("field: \(notice)\n".utf8))
            }
            return session
        } catch FieldError.noPassphrase {
            return nil
        }
    }
}
