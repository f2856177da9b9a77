import FieldKit
import Foundation
import Hummingbird
import Logging
import NIOCore
import PageKit

/// The caseworker's app (`field app`): a web server on 127.0.0.1 only that
/// shows the laptop's encrypted replica as pages, in Danish by default.
///
/// Other users and programs on the laptop cannot use it: every page lives
/// under a secret path, new on every start, and the address it announces
/// carries a one-time secret, exchanged at first use for an HttpOnly,
/// SameSite=Strict session cookie limited to that path; every other request
/// without both gets 403. A Host header other than the app's own (DNS
/// rebinding) and a form from another origin are refused, and every form
/// carries a CSRF token.
public struct AppServer: Sendable {
    public struct Configuration: Sendable {
        public var paths: FieldPaths
        /// The language of every page; nil follows each browser's Accept-Language.
        public var language: Language?
        /// 0 for a free port.
        public var port: Int
        /// The key file the data is opened with (`--key-file`, FIELD_KEY_FILE),
        /// if it is: after Lås the app opens it with that file again.
        public var keyFile: String?
        /// How long the data stays open without a request; nil for ever.
        public var idleLock: Duration?

        public static let defaultIdleLock = Duration.seconds(15 * 60)

        public init(paths: FieldPaths, language: Language?, port: Int, keyFile: String? = nil,
                    idleLock: Duration? = defaultIdleLock) {
            self.paths = paths
            self.language = language
            self.port = port
            self.keyFile = keyFile
            self.idleLock = idleLock
        }
    }

    let configuration: Configuration
    let state: AppState
    let openingSecret: String
    let listeningPort = ListeningPort()
    let logger: Logger

    /// `session` is the opened local data, or nil when it is locked and the
    /// first page is to ask for the passphrase. `whenOpened` runs once, when
    /// the announced address has been used.
    public init(configuration: Configuration, session: FieldSession?, logger: Logger = Logger(label: "field-app"),
                whenOpened: @escaping @Sendable () -> Void = {}) {
        self.init(configuration: configuration, session: session, logger: logger, whenOpened: whenOpened, now: { .now })
    }

    /// `now` tells the time the waits between passphrase tries and the idle lock count by.
    /// `sync` runs the app's syncs (tests give one whose sync they hold up).
    init(configuration: Configuration, session: FieldSession?, logger: Logger, whenOpened: @escaping @Sendable () -> Void,
         now: @escaping @Sendable () -> ContinuousClock.Instant, sync: SyncRunner = SyncRunner()) {
        self.configuration = configuration
        self.logger = logger
        openingSecret = PageSecret.generate()
        state = AppState(session: session, openingSecret: openingSecret, whenOpened: whenOpened, now: now,
                         idleLock: configuration.idleLock, sync: sync)
    }

    /// The application, listening on 127.0.0.1; `announce` is given the
    /// one-time address once it listens.
    public func application(announce: @escaping @Sendable (URL) async -> Void) -> some ApplicationProtocol {
        let (secret, port, base) = (openingSecret, listeningPort, state.base)
        return Application(
            router: AppRoutes(state: state, paths: configuration.paths, language: configuration.language, port: port,
                              keyFile: configuration.keyFile).router(),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                guard let listening = channel.localAddress?.port else { return }
                port.set(listening)
                var address = URLComponents()
                (address.scheme, address.host, address.port, address.path) = ("http", "127.0.0.1", listening, base + "/open")
                address.queryItems = [URLQueryItem(name: "secret", value: secret)]
                await announce(address.url!)
            },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT (Ctrl-C), then stops cleanly: requests
    /// under way are answered, and the replica is closed with the process.
    /// A port asked for and taken is one plain error, not the socket's.
    public func run(announce: @escaping @Sendable (URL) async -> Void) async throws {
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await application(announce: announce).runService() }
                tasks.addTask { [state, logger] in
                    // The idle lock, also while no page is asked for.
                    while !Task.isCancelled {
                        try await Task.sleep(for: .seconds(30))
                        await state.lockIfIdle(logger: logger)
                    }
                }
                // The server ends (a signal, an error): the idle check with it.
                defer { tasks.cancelAll() }
                try await tasks.next()
            }
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw FieldError.invalidArgument("port \(configuration.port) on 127.0.0.1 is in use; leave out --port to take a free one")
        }
    }
}
