import ArgumentParser
import Foundation
import SyncCore
import SyncTestSupport

/// Scenario b: does a pull cost what it returns, or what the database holds?
///
/// Two servers run side by side on two fresh data directories. Each is filled
/// to its size with pushes of 1,000 operations (notes of 5 operations spread
/// over many cases, one new case per batch) by filler caseworkers. Meanwhile
/// the target caseworker writes notes into one case of their own, a few after
/// each filler batch, so that the case's operations are spread through the
/// whole log in both databases. Then, alternately on the small and the large
/// database, a new device of the target caseworker signs in (not timed) and
/// pulls its first page of 1,000 operations (timed: the request until the whole
/// answer has arrived). Before measuring, the fill is written out (sync(2)) and
/// the machine left to settle for a few seconds.
struct PullCost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull-cost",
        abstract: "Time of a 1,000-operation pull on a small and a large database.")

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Port of the server that gets the small database.")
    var smallPort: Int

    @Option(help: "Operations in the small database.")
    var smallOperations = 10_000

    @Option(help: "Operations in the large database.")
    var largeOperations = 1_000_000

    @Option(help: "Filler users are PREFIX01, PREFIX02, ... (caseworkers), one pushing device each, pushing concurrently.")
    var fillerPrefix = "fill"

    @Option(help: "Number of filler users.")
    var fillers = 2

    @Option(help: "The caseworker whose case is pulled.")
    var target = "pat"

    @Option(help: "Notes (5 operations each) in the target's case.")
    var targetNotes = 250

    @Option(help: "Operations per filler push.")
    var batchSize = 1_000

    @Option(help: "Pull page size measured.")
    var limit = 1_000

    @Option(help: "Measured pulls per database.")
    var repeats = 20

    @Option(help: "Unmeasured pulls per database first.")
    var warmups = 2

    @Option(help: "Seconds to wait after the fill (and sync(2)) before measuring.")
    var settle = 5.0

    @Option(help: "Goal: large median / small median, at most.")
    var goalRatio = 1.2

    func validate() throws {
        guard (1...65535).contains(smallPort) else { throw ValidationError("--small-port must be from 1 to 65535") }
        guard smallOperations >= 2 * batchSize, largeOperations <= 20_000_000, largeOperations >= smallOperations else {
            throw ValidationError("sizes: at least two batches, at most 20,000,000")
        }
        guard targetNotes * 5 >= limit, (1...5_000).contains(limit), (1...1_000).contains(repeats), (0...100).contains(warmups) else {
            throw ValidationError("the target case must hold at least --limit operations; --repeats 1...1000")
        }
        guard (0...600).contains(settle) else { throw ValidationError("--settle 0...600 seconds") }
        guard (1...1_000).contains(batchSize), (1...16).contains(fillers) else { throw ValidationError("--batch-size 1...1000, --fillers 1...16") }
    }

    func run() async throws {
        let small = SyncServerClient(port: smallPort, connections: fillers + 4)
        let large = SyncServerClient(port: connection.port, connections: fillers + 4)
        do {
            try await measure(small: small, large: large)
            try await small.shutdown()
            try await large.shutdown()
        } catch {
            try? await small.shutdown()
            try? await large.shutdown()
            throw error
        }
    }

    private func measure(small: SyncServerClient, large: SyncServerClient) async throws {
        say("pull cost: first page of \(limit) operations for a new device of \(target), whose case holds \(4 + targetNotes * 5) operations spread through the log")
        let smallHeld = try await fill(small, to: smallOperations, label: "small (port \(smallPort))")
        let largeHeld = try await fill(large, to: largeOperations, label: "large (port \(connection.port))")
        // The fill leaves hundreds of MB of dirty pages; their write-back would
        // slow the commits of the measured pulls (each pull stores its cursor).
        say("writing the fill to disk (sync) and settling for \(Format.fixed(settle, 0)) s")
        sync()
        try await Task.sleep(for: .milliseconds(Int64(settle * 1000)))

        // Alternate small and large (ABBA) so that drift on the machine hits both alike.
        var times: [String: [Double]] = ["small": [], "large": []]
        let codec = OperationCodec()
        let clock = ContinuousClock()
        for round in 0..<(warmups + repeats) {
            let order = round % 2 == 0 ? [("small", small), ("large", large)] : [("large", large), ("small", small)]
            for (label, client) in order {
                let device = try await client.login(target, password: connection.password, deviceName: "pull \(label) \(round)", seed: UInt64(round))
                let t0 = clock.now
                let reply = try await client.pullPage(device, limit: limit)
                let elapsed = (clock.now - t0).milliseconds
                let page = try PullPage(json: try reply.json(), codec: codec)
                guard page.operations.count == limit, page.hasMore else {
                    throw LoadError("\(label): the first pull brought \(page.operations.count) operations (hasMore \(page.hasMore)), expected \(limit) and more")
                }
                guard page.operations.allSatisfy({ $0.author.name == target }) else { throw LoadError("\(label): foreign operations in the pull") }
                if round >= warmups { times[label, default: []].append(elapsed) }
            }
        }
        let smallMedian = median(times["small"]!)
        let largeMedian = median(times["large"]!)
        let ratio = largeMedian / smallMedian
        func describe(_ values: [Double]) -> String {
            let sorted = values.sorted()
            return "median \(Format.fixed(median(values), 2)) ms (min \(Format.fixed(sorted.first!, 2)), "
                + "p90 \(Format.fixed(sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.9).rounded(.up)) - 1)], 2)), "
                + "max \(Format.fixed(sorted.last!, 2)); \(sorted.count) pulls)"
        }
        say("")
        say("small database, \(Format.grouped(Double(smallHeld))) operations: \(describe(times["small"]!))")
        say("large database, \(Format.grouped(Double(largeHeld))) operations: \(describe(times["large"]!))")
        say("ratio large / small (medians): \(Format.fixed(ratio, 3))")
        say("result: pull_small_operations=\(smallHeld)")
        say("result: pull_large_operations=\(largeHeld)")
        say("result: pull_small_median_ms=\(Format.fixed(smallMedian, 2))")
        say("result: pull_large_median_ms=\(Format.fixed(largeMedian, 2))")
        say("result: pull_ratio=\(Format.fixed(ratio, 3))")
        say("summary: pull of \(limit) operations: \(Format.fixed(smallMedian, 2)) ms at \(Format.grouped(Double(smallHeld))) operations, "
            + "\(Format.fixed(largeMedian, 2)) ms at \(Format.grouped(Double(largeHeld))) operations (medians of \(repeats)); "
            + "ratio \(Format.fixed(ratio, 2)) (goal ≤ \(Format.fixed(goalRatio, 1)): \(Format.verdict(ratio <= goalRatio)))")
    }

    /// Fills one server to about `total` operations; returns what it holds.
    private func fill(_ client: SyncServerClient, to total: Int, label: String) async throws -> Int {
        let start = ContinuousClock.now
        let targetOperations = 4 + targetNotes * 5
        let fillerOperations = total - targetOperations
        // One new case (4 operations) and notes of 5 operations per batch.
        let notesPerBatch = max(1, (batchSize - 4) / 5)
        let batchOperations = 4 + notesPerBatch * 5
        let batchCount = max(1, Int((Double(fillerOperations) / Double(batchOperations)).rounded()))
        say("filling \(label): \(batchCount) batches of \(batchOperations) operations by \(fillers) devices, plus \(targetOperations) operations of \(target)")

        var targetDevice = try await client.login(target, password: connection.password, deviceName: "writer", seed: 7)
        let targetCase = targetDevice.newCase(title: "The case that is pulled")
        try await client.push(targetCase, from: &targetDevice)
        let names = userNames(prefix: fillerPrefix, count: fillers)
        var fillerDevices: [SimulatedDevice] = []
        for (index, name) in names.enumerated() {
            fillerDevices.append(try await client.login(name, password: connection.password, deviceName: "filler", seed: UInt64(100 + index)))
        }
        let progress = FillProgress(total: total, label: label)
        let fillers = self.fillers
        let targetNotes = self.targetNotes

        let devices = fillerDevices
        let writerDevice = targetDevice
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<fillers {
                group.addTask {
                    let myBatches = lane < batchCount ? (batchCount - lane + fillers - 1) / fillers : 0
                    var device = devices[lane]
                    var lead = lane == 0 ? writerDevice : nil
                    var random = SeededRandom(seed: UInt64(lane + 1) * 7919)
                    var cases: [EntityID] = []
                    var serial = 0
                    var targetWritten = 0
                    for done in 0..<myBatches {
                        var operations = device.newCase(title: "Filler case \(lane)-\(done)")
                        operations.reserveCapacity(batchOperations)
                        cases.append(operations[0].entity)
                        for _ in 0..<notesPerBatch {
                            serial += 1
                            let caseID = cases[Int.random(in: 0..<cases.count, using: &random)]
                            operations += device.newNote(
                                in: caseID,
                                fields: NoteText.fields(serial, bodyBytes: Int.random(in: 100...400, using: &random), using: &random))
                        }
                        try await client.push(operations, from: &device)
                        await progress.add(operations.count)
                        // Lane 0 interleaves the target's notes with its batches.
                        if var writer = lead {
                            let due = targetNotes * (done + 1) / myBatches
                            if due > targetWritten {
                                var notes: [SyncCore.Operation] = []
                                for _ in targetWritten..<due {
                                    serial += 1
                                    notes += writer.newNote(
                                        in: targetCase[0].entity,
                                        fields: NoteText.fields(serial, bodyBytes: Int.random(in: 100...400, using: &random), using: &random))
                                }
                                try await client.push(notes, from: &writer)
                                await progress.add(notes.count)
                                targetWritten = due
                            }
                            lead = writer
                        }
                    }
                    if var writer = lead, targetWritten < targetNotes {
                        var notes: [SyncCore.Operation] = []
                        for _ in targetWritten..<targetNotes {
                            notes += writer.newNote(in: targetCase[0].entity, fields: NoteText.fields(0, bodyBytes: 200, using: &random))
                        }
                        try await client.push(notes, from: &writer)
                    }
                }
            }
            try await group.waitForAll()
        }
        let held = try await client.operationCount()
        let seconds = (ContinuousClock.now - start).seconds
        say("filled \(label): \(Format.grouped(Double(held))) operations in \(Format.fixed(seconds, 1)) s (\(Format.grouped(Double(held) / seconds)) operations/s pushed)")
        return held
    }
}

/// Prints fill progress every 50,000 operations.
actor FillProgress {
    let total: Int
    let label: String
    let start = ContinuousClock.now
    var pushed = 0
    var lastPrinted = 0

    init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    func add(_ count: Int) {
        pushed += count
        if pushed - lastPrinted >= 50_000 {
            lastPrinted = pushed
            let seconds = (ContinuousClock.now - start).seconds
            say("  \(label): \(Format.grouped(Double(pushed))) / \(Format.grouped(Double(total))) operations, \(Format.fixed(seconds, 0)) s, \(Format.grouped(Double(pushed) / seconds)) operations/s")
        }
    }
}
