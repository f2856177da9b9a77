import ArgumentParser
import Foundation
import SyncCore

/// Scenario d: password guessing beside ordinary work. A few devices pull at a
/// steady pace (each every `--pull-interval` ms, with its cursor, as a laptop
/// waiting for news does); first alone, then while `--attackers` clients send
/// wrong passwords to `POST /v1/devices` in a closed loop. What matters is how
/// much the guessing slows the others' pulls, so the figure is their p99 in
/// each window, side by side.
///
/// The guesses go to user names that do not exist (`--guess-names`, a new one
/// for every attempt, so no per-name limit applies): the server checks them
/// against its dummy hash at the default bcrypt cost of 12, the dearest case.
struct SignInStorm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-in-storm",
        abstract: "Pull latency of steady devices, alone and while clients hammer sign-in with wrong passwords.")

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Users are PREFIX01, PREFIX02, ... (caseworkers; the script adds them).")
    var userPrefix = "steady"

    @Option(help: "Steady devices, one per user.")
    var users = 8

    @Option(help: "Milliseconds between one steady device's pulls.")
    var pullInterval = 100

    @Option(help: "Clients sending wrong passwords at once.")
    var attackers = 16

    @Option(help: "Measured seconds in each window (alone, then under the storm).")
    var duration = 20.0

    @Option(help: "Seconds of storm before its window is measured.")
    var warmup = 3.0

    func validate() throws {
        guard (1...100).contains(users), (1...200).contains(attackers) else { throw ValidationError("1 to 100 users, 1 to 200 attackers") }
        guard pullInterval >= 1, duration > 0, duration <= 600, warmup >= 0, warmup <= 600 else {
            throw ValidationError("--pull-interval ≥ 1, --duration 0...600, --warmup 0...600")
        }
    }

    /// What the attackers got back, by status.
    struct Answers: Sendable {
        var byStatus: [Int: Int] = [:]
        var errors = 0
        var total: Int { byStatus.values.reduce(0, +) }
    }

    func run() async throws {
        let client = SyncServerClient(port: connection.port, connections: users + attackers + 4)
        do {
            try await measure(client: client)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func measure(client: SyncServerClient) async throws {
        let names = userNames(prefix: userPrefix, count: users)
        var devices: [SimulatedDevice] = []
        for (index, name) in names.enumerated() {
            var device = try await client.login(name, password: connection.password, deviceName: "steady \(index)", seed: UInt64(index + 1))
            try await client.push(device.newCase(title: "Steady case \(index)"), from: &device)
            device.cursor = try client.cursor(of: await client.pullPage(device, limit: 1000))
            devices.append(device)
        }
        say("sign-in storm: \(users) devices pulling every \(pullInterval) ms; \(attackers) clients sending wrong passwords; "
            + "\(duration) s alone, then \(warmup) s of storm, then \(duration) s measured under it")

        let alone = try await pulls(devices, client: client, for: duration)
        say("pull, alone:           \(alone.summary)")

        let clock = ContinuousClock()
        let stormEnd = clock.now + .milliseconds(Int64((warmup + duration) * 1000) + 500)
        let attackers = self.attackers
        let storm = Task {
            await withTaskGroup(of: Answers.self) { group in
                for attacker in 0..<attackers {
                    group.addTask {
                        var answers = Answers()
                        var attempt = 0
                        while clock.now < stormEnd {
                            attempt += 1
                            let body = DeviceSignIn(user: "nobody\(attacker)x\(attempt)", password: "not the password at all",
                                                    deviceName: "guesser").encoded()
                            do {
                                let reply = try await client.send(.POST, "/v1/devices", body: body)
                                answers.byStatus[reply.status, default: 0] += 1
                            } catch {
                                answers.errors += 1
                            }
                        }
                        return answers
                    }
                }
                var all = Answers()
                for await answers in group {
                    all.byStatus.merge(answers.byStatus, uniquingKeysWith: +)
                    all.errors += answers.errors
                }
                return all
            }
        }
        try await Task.sleep(for: .milliseconds(Int64(warmup * 1000)))
        let stormed = try await pulls(devices, client: client, for: duration)
        let answers = await storm.value
        let seconds = warmup + duration + 0.5
        say("pull, under the storm: \(stormed.summary)")
        let statuses = answers.byStatus.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        say("sign-in attempts: \(Format.grouped(Double(answers.total) / seconds))/s (\(statuses)\(answers.errors > 0 ? ", transport errors: \(answers.errors)" : ""))")
        say("result: storm_alone_pull_p99_ms=\(Format.ms(alone.valueAtPercentile(99)))")
        say("result: storm_pull_p99_ms=\(Format.ms(stormed.valueAtPercentile(99)))")
        say("summary: sign-in storm, \(attackers) guessing clients: pull p99 of \(users) steady devices "
            + "\(Format.ms(alone.valueAtPercentile(99))) ms alone, \(Format.ms(stormed.valueAtPercentile(99))) ms under the storm "
            + "(max \(Format.ms(alone.max)) / \(Format.ms(stormed.max)) ms); \(Format.grouped(Double(answers.total) / seconds)) sign-in answers/s (\(statuses))")
    }

    /// Every device pulls every `pullInterval` ms for `seconds`; their latencies.
    private func pulls(_ devices: [SimulatedDevice], client: SyncServerClient, for seconds: Double) async throws -> Latencies {
        let clock = ContinuousClock()
        let end = clock.now + .milliseconds(Int64(seconds * 1000))
        let interval = Duration.milliseconds(pullInterval)
        return try await withThrowingTaskGroup(of: Latencies.self) { group in
            for (index, device) in devices.enumerated() {
                group.addTask {
                    var device = device
                    var latencies = makeLatencies()
                    // Spread the devices over the interval instead of pulling in step.
                    var next = clock.now + interval * Double(index) / Double(devices.count)
                    while next < end {
                        try await Task.sleep(until: next, clock: clock)
                        let start = clock.now
                        let reply = try await client.pullPage(device, limit: 1000)
                        latencies.record((clock.now - start).microseconds)
                        device.cursor = try client.cursor(of: reply)
                        next += interval
                        // A pull that overran its slot starts the next at once, not a burst to catch up.
                        if next < clock.now { next = clock.now }
                    }
                    return latencies
                }
            }
            var all = makeLatencies()
            for try await latencies in group { all.add(latencies) }
            return all
        }
    }
}

extension SyncServerClient {
    func cursor(of reply: Reply) throws -> String {
        try PullPage.decode(reply.data).cursor
    }
}
