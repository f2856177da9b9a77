import ArgumentParser
import Foundation
import NIOCore
import SyncCore
import SyncTestSupport

/// Scenario c: a caseworker's new laptop fetches the whole caseload.
///
/// One device of the caseworker pushes the caseload: `cases` cases and `notes`
/// notes spread evenly over them, each note a create and its kind, title, date
/// and a body of 1 to 5 KB. Then a brand-new device of the same caseworker signs
/// in and pulls until `hasMore` is false, decoding every page with SyncCore's
/// codec and applying it to a `ReplicaState`, one page after the other, as the
/// field client does. Timed from the first pull request until the last page is
/// applied. Repeated `runs` times, each with a new device.
struct InitialSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "initial-sync",
        abstract: "A new device pulls and applies a whole caseload.")

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The caseworker (the script adds them).")
    var user = "ida"

    @Option(help: "Cases in the caseload.")
    var cases = 50

    @Option(help: "Notes in the caseload, in total.")
    var notes = 10_000

    @Option(help: "Smallest note body, bytes.")
    var minBody = 1_024

    @Option(help: "Largest note body, bytes.")
    var maxBody = 5_120

    @Option(help: "Pull page size.")
    var limit = 5_000

    @Option(help: "Operations per push while writing the caseload.")
    var batchSize = 1_000

    @Option(help: "Initial syncs, each by a new device; 0 only writes the caseload (for scripts/bench/field-benchmarks).")
    var runs = 3

    @Option(help: "Goal: seconds, below.")
    var goalSeconds = 3.0

    func validate() throws {
        guard (1...10_000).contains(cases), (cases...1_000_000).contains(notes), (1...5_000).contains(limit),
              (0...20).contains(runs), (1...1_000).contains(batchSize), minBody >= 1, maxBody >= minBody, maxBody <= 100_000
        else { throw ValidationError("out of range") }
    }

    func run() async throws {
        let client = SyncServerClient(port: connection.port, connections: 4)
        do {
            try await measure(client)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func measure(_ client: SyncServerClient) async throws {
        let clock = ContinuousClock()
        var writer = try await client.login(user, password: connection.password, deviceName: "office laptop", seed: 42)
        var random = SeededRandom(seed: 4242)

        // The caseload, written by the caseworker's first device.
        let writeStart = clock.now
        var caseIDs: [EntityID] = []
        var pending: [SyncCore.Operation] = []
        var pushed = 0
        var bodyBytes = 0
        for index in 0..<cases {
            let created = writer.newCase(title: "Familie \(index + 1)")
            caseIDs.append(created[0].entity)
            pending += created
        }
        func flush() async throws {
            guard !pending.isEmpty else { return }
            try await client.push(pending, from: &writer)
            pushed += pending.count
            pending.removeAll(keepingCapacity: true)
        }
        for serial in 0..<notes {
            let size = Int.random(in: minBody...maxBody, using: &random)
            let operations = writer.newNote(in: caseIDs[serial % cases], fields: NoteText.fields(serial, bodyBytes: size, using: &random))
            if case .set(_, .string(let body), _)? = operations.last?.change { bodyBytes += body.utf8.count }
            if pending.count + operations.count > batchSize { try await flush() }
            pending += operations
        }
        try await flush()
        let writeSeconds = (clock.now - writeStart).seconds
        let held = try await client.operationCount()
        say("initial sync: \(user)'s caseload of \(cases) cases and \(Format.grouped(Double(notes))) notes "
            + "(\(Format.grouped(Double(pushed))) operations, note bodies \(Format.fixed(Double(bodyBytes) / 1_048_576, 1)) MiB in total, "
            + "\(minBody)–\(maxBody) bytes each) pushed in \(Format.fixed(writeSeconds, 1)) s; the server holds \(Format.grouped(Double(held))) operations")

        if runs == 0 {
            say("result: initial_operations=\(pushed)")
            return
        }
        var walls: [Double] = []
        for run in 1...runs {
            let loginStart = clock.now
            var device = try await client.login(user, password: connection.password, deviceName: "new laptop \(run)", seed: UInt64(run))
            let loginSeconds = (clock.now - loginStart).seconds

            let codec = OperationCodec()
            var state = ReplicaState()
            var pages = 0
            var received = 0
            var responseBytes = 0
            var wait = Duration.zero, parse = Duration.zero, decode = Duration.zero, apply = Duration.zero
            let start = clock.now
            for _ in 0..<10_000 {
                let t0 = clock.now
                let reply = try await client.pullPage(device, limit: limit)
                let t1 = clock.now
                let json = try reply.json()
                let t2 = clock.now
                let page = try PullPage(json: json, codec: codec)
                let t3 = clock.now
                _ = try state.apply(page.operations)
                device.author.observe(page.operations)
                let t4 = clock.now
                device.cursor = page.cursor
                wait += t1 - t0
                parse += t2 - t1
                decode += t3 - t2
                apply += t4 - t3
                pages += 1
                received += page.operations.count
                responseBytes += reply.body.readableBytes
                if !page.hasMore { break }
            }
            let wall = (clock.now - start).seconds
            walls.append(wall)

            let noteCount = state.entities.values.filter { $0.entityType == EntityType.note }.count
            let caseCount = state.entities.values.filter { $0.entityType == EntityType.caseFile }.count
            guard received == pushed, state.operationCount == pushed, noteCount == notes, caseCount == cases else {
                throw LoadError("run \(run): received \(received) operations (\(noteCount) notes, \(caseCount) cases), expected \(pushed)")
            }
            say("run \(run): \(Format.fixed(wall, 3)) s for \(Format.grouped(Double(received))) operations in \(pages) pages "
                + "(\(Format.fixed(Double(responseBytes) / 1_048_576, 1)) MiB of JSON): waiting for the server and the transfer \(Format.fixed(wait.seconds, 3)) s, "
                + "JSON parse \(Format.fixed(parse.seconds, 3)) s, decode \(Format.fixed(decode.seconds, 3)) s, apply \(Format.fixed(apply.seconds, 3)) s; "
                + "sign-in before it \(Format.fixed(loginSeconds * 1000, 1)) ms")
        }
        let middle = median(walls)
        say("result: initial_operations=\(pushed)")
        say("result: initial_seconds_median=\(Format.fixed(middle, 3))")
        say("result: initial_seconds_runs=\(walls.map { Format.fixed($0, 3) }.joined(separator: ","))")
        say("summary: initial sync of \(cases) cases / \(Format.grouped(Double(notes))) notes = \(Format.grouped(Double(pushed))) operations: "
            + "\(Format.fixed(middle, 2)) s median of \(runs) (runs: \(walls.map { Format.fixed($0, 2) }.joined(separator: ", ")) s) "
            + "(goal < \(Format.fixed(goalSeconds, 0)) s: \(Format.verdict(middle < goalSeconds)))")
    }
}
