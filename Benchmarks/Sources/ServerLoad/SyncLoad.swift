import ArgumentParser
import Foundation
import NIOHTTP1
import SyncCore
import SyncTestSupport

/// Scenario a: many devices syncing at once. Each device has its own case and
/// repeats a sync cycle: push one new note (create + 4 fields = 5 operations),
/// then pull with its cursor (which brings those 5 operations back, decoded as a
/// client would). Closed loop: a device sends its next request when the answer
/// to the previous one has arrived.
struct SyncLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-load",
        abstract: "Concurrent devices pushing small batches and pulling with their cursors.")

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Users are PREFIX01, PREFIX02, ... (caseworkers; the script adds them).")
    var userPrefix = "load"

    @Option(help: "Number of users.")
    var users = 64

    @Option(help: "Devices per user (each with its own case).")
    var devicesPerUser = 1

    @Option(help: "Warm-up seconds (not measured).")
    var warmup = 5.0

    @Option(help: "Measured seconds.")
    var duration = 25.0

    @Option(help: "Upper bound on sync cycles per device.")
    var maxCycles = 100_000

    @Option(help: "Bytes of the note body in each pushed note.")
    var bodyBytes = 200

    @Option(help: "pid of the server, to report its CPU time (Linux /proc).")
    var serverPid: Int32?

    @Option(help: "Goal: round trips per second, at least.")
    var goalRoundTrips = 2_000.0

    @Option(help: "Goal: p99 latency per request in milliseconds, below.")
    var goalP99 = 50.0

    func validate() throws {
        guard (1...1_000).contains(users * devicesPerUser) else { throw ValidationError("1 to 1,000 devices") }
        guard warmup >= 0, warmup <= 600, duration > 0, duration <= 600 else {
            throw ValidationError("--warmup 0...600 and --duration 0...600 seconds")
        }
    }

    struct DeviceResult: Sendable {
        var push = makeLatencies()
        var pull = makeLatencies()
        var cycles = 0
        var acknowledgedOperations = 0
        var error: String?
    }

    func run() async throws {
        let deviceCount = users * devicesPerUser
        let client = SyncServerClient(port: connection.port, connections: deviceCount + 4)
        do {
            try await measure(client: client, deviceCount: deviceCount)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// CPU seconds used by the server and by this process between two instants, and the load average at the end.
    private static func cpuInWindow(
        from start: ContinuousClock.Instant, to end: ContinuousClock.Instant, serverPid: Int32?
    ) async -> (server: Double?, client: Double, load: String) {
        try? await Task.sleep(until: start, clock: .continuous)
        let server0 = serverPid.flatMap(ProcessCPU.seconds(pid:))
        let client0 = ProcessCPU.own()
        try? await Task.sleep(until: end, clock: .continuous)
        let server1 = serverPid.flatMap(ProcessCPU.seconds(pid:))
        let client1 = ProcessCPU.own()
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
            .split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        return (server0.flatMap { s0 in server1.map { $0 - s0 } }, client1 - client0, load)
    }

    private func measure(client: SyncServerClient, deviceCount: Int) async throws {
        let names = userNames(prefix: userPrefix, count: users)
        let password = connection.password
        say("sync load: \(deviceCount) devices (\(users) users × \(devicesPerUser)), each with its own case; "
            + "cycle = push 5 operations + pull; warm-up \(warmup) s, measured \(duration) s")

        // Setup: sign in, create each device's case, pull once for a cursor.
        let setupStart = ContinuousClock.now
        let devices = try await withThrowingTaskGroup(of: (SimulatedDevice, EntityID).self) { group in
            for index in 0..<deviceCount {
                group.addTask {
                    let user = names[index % names.count]
                    var device = try await client.login(user, password: password, deviceName: "load \(index)", seed: UInt64(index + 1))
                    let created = device.newCase(title: "Load case \(index)")
                    try await client.push(created, from: &device)
                    let codec = OperationCodec()
                    while true {
                        let page = try PullPage(json: try await client.pullPage(device, limit: 1000).json(), codec: codec)
                        device.cursor = page.cursor
                        device.author.observe(page.operations)
                        if !page.hasMore { break }
                    }
                    return (device, created[0].entity)
                }
            }
            var all: [(SimulatedDevice, EntityID)] = []
            for try await item in group { all.append(item) }
            return all
        }
        let operationsBefore = try await client.operationCount()
        say("setup: \(devices.count) devices signed in, cases created and pulled in \(Format.fixed((ContinuousClock.now - setupStart).seconds, 2)) s")

        let clock = ContinuousClock()
        let start = clock.now
        let measureStart = start + .milliseconds(Int64(warmup * 1000))
        let end = measureStart + .milliseconds(Int64(duration * 1000))
        let maxCycles = self.maxCycles
        let bodyBytes = self.bodyBytes
        let serverPid = self.serverPid

        async let cpu = Self.cpuInWindow(from: measureStart, to: end, serverPid: serverPid)

        let results = await withTaskGroup(of: DeviceResult.self) { group in
            for (index, (device, caseID)) in devices.enumerated() {
                group.addTask {
                    var device = device
                    var result = DeviceResult()
                    var random = SeededRandom(seed: UInt64(1_000 + index))
                    let codec = OperationCodec()
                    do {
                        for cycle in 0..<maxCycles {
                            guard clock.now < end else { break }
                            let operations = device.newNote(
                                in: caseID, fields: NoteText.fields(cycle, bodyBytes: bodyBytes, using: &random))
                            let body = device.pushBody(operations)
                            let t0 = clock.now
                            let pushed = try await client.send(.POST, "/v1/push", token: device.token, body: body)
                            let t1 = clock.now
                            guard pushed.status == 200 else { throw LoadError("push answered \(pushed.status): \(pushed.text)") }
                            result.acknowledgedOperations += operations.count
                            if t1 >= measureStart && t1 <= end { result.push.record((t1 - t0).microseconds) }

                            let reply = try await client.pullPage(device, limit: 1000)
                            let t2 = clock.now
                            let page = try PullPage(json: try reply.json(), codec: codec)
                            guard page.operations.count == operations.count, !page.hasMore else {
                                throw LoadError("pull after push brought \(page.operations.count) operations (hasMore \(page.hasMore)), expected \(operations.count)")
                            }
                            device.cursor = page.cursor
                            device.author.observe(page.operations)
                            if t2 >= measureStart && t2 <= end {
                                result.pull.record((t2 - t1).microseconds)
                                if t0 >= measureStart { result.cycles += 1 }
                            }
                        }
                    } catch {
                        result.error = "device \(index): \(error)"
                    }
                    return result
                }
            }
            var all: [DeviceResult] = []
            for await result in group { all.append(result) }
            return all
        }
        let usage = await cpu

        var push = makeLatencies()
        var pull = makeLatencies()
        var cycles = 0
        var acknowledged = 0
        for result in results {
            push.add(result.push)
            pull.add(result.pull)
            cycles += result.cycles
            acknowledged += result.acknowledgedOperations
        }
        var both = push
        both.add(pull)
        let errors = results.compactMap(\.error)
        let operationsAfter = try await client.operationCount()

        let roundTrips = Double(both.totalCount) / duration
        let p99 = Double(both.valueAtPercentile(99)) / 1000
        say("")
        say("measured window: \(duration) s after \(warmup) s of warm-up; \(deviceCount) devices in a closed loop")
        say("HTTP round trips per second: \(Format.grouped(roundTrips)) (push \(Format.grouped(Double(push.totalCount) / duration)), pull \(Format.grouped(Double(pull.totalCount) / duration)))")
        say("sync cycles (push + pull) per second: \(Format.grouped(Double(cycles) / duration))")
        say("operations pushed per second: \(Format.grouped(Double(push.totalCount) * 5 / duration))")
        say("latency, every request: \(both.summary)")
        say("latency, push:          \(push.summary)")
        say("latency, pull:          \(pull.summary)")
        if let server = usage.server {
            say("CPU in the window: server \(Format.fixed(server / duration * 100, 0)) %, load generator \(Format.fixed(usage.client / duration * 100, 0)) % (of 100 % per core; \(ProcessInfo.processInfo.activeProcessorCount) cores); load average after: \(usage.load)")
        } else {
            say("CPU in the window: load generator \(Format.fixed(usage.client / duration * 100, 0)) %; load average after: \(usage.load)")
        }
        say("operations held by the server: \(Format.grouped(Double(operationsBefore))) before, \(Format.grouped(Double(operationsAfter))) after (acknowledged during the run: \(Format.grouped(Double(acknowledged))))")
        let consistent = operationsAfter - operationsBefore == acknowledged
        if !consistent { say("error: the server holds \(operationsAfter - operationsBefore) new operations, \(acknowledged) were acknowledged") }
        for error in errors.prefix(5) { say("error: \(error)") }

        say("result: load_round_trips_per_s=\(Format.fixed(roundTrips, 0))")
        say("result: load_cycles_per_s=\(Format.fixed(Double(cycles) / duration, 0))")
        say("result: load_p50_ms=\(Format.ms(both.valueAtPercentile(50)))")
        say("result: load_p90_ms=\(Format.ms(both.valueAtPercentile(90)))")
        say("result: load_p99_ms=\(Format.ms(both.valueAtPercentile(99)))")
        say("result: load_max_ms=\(Format.ms(both.max))")
        say("result: load_errors=\(errors.count + (consistent ? 0 : 1))")
        say("summary: sync load, \(deviceCount) devices: \(Format.grouped(roundTrips)) round trips/s (goal ≥ \(Format.grouped(goalRoundTrips)): \(Format.verdict(roundTrips >= goalRoundTrips))), "
            + "\(Format.grouped(Double(cycles) / duration)) push+pull cycles/s; p50 \(Format.ms(both.valueAtPercentile(50))) / p90 \(Format.ms(both.valueAtPercentile(90))) / "
            + "p99 \(Format.fixed(p99, 2)) / max \(Format.ms(both.max)) ms (goal p99 < \(Format.fixed(goalP99, 0)) ms: \(Format.verdict(p99 < goalP99)))"
            + (errors.isEmpty && consistent ? "" : "; \(errors.count) devices failed"))
        if !errors.isEmpty || !consistent { throw ExitCode(2) }
    }
}
