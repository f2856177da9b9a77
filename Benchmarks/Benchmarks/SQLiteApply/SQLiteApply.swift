import Benchmark
import BenchmarkFixtures
import Foundation
import GRDB
import SyncCore

/// Foundation also declares an `Operation`; here the word means SyncCore's.
typealias Operation = SyncCore.Operation
import SyncPersistence
import SyncTestSupport

/// Writing 100,000 field sets (over 10,000 entities, 4 replicas) to SQLite in
/// transactions of 1,000, two ways, each into a fresh database file per
/// iteration, WAL mode (`DatabasePool`) and `PRAGMA synchronous = FULL` (set
/// through `DurableDatabasePool`: before commit a689030, 2026-12-02, both ran at the NORMAL
/// that GRDB's pool sets):
///
/// - `OperationLog.apply`, what the server and the laptop store with, one
///   write transaction per batch (JSON-encodes each operation, inserts it into
///   the operation log with its indexes, records the entity, advances each
///   replica's contiguous mark). The 10,000 creates are applied first, outside
///   the measured region.
/// - A plain GRDB loop: one row per operation in a table keyed by
///   (entity, field), `INSERT ... ON CONFLICT DO UPDATE`, one transaction per
///   1,000 rows. Turning each operation into its row (entity id as text, field,
///   value) is inside the measured region.
///
/// Goal: the store writes at least half as many operations per second as the plain loop.
let entityCount = 10_000
let setCount = 100_000
let batchSize = 1_000

extension BenchmarkMetric {
    static var opsPerSecond: BenchmarkMetric { .custom("ops per second", polarity: .prefersLarger, useScalingFactor: false) }
}

struct Prepared: Sendable {
    let createBatches: [[Operation]]
    let setBatches: [[Operation]]
}

func prepare() -> Prepared {
    let history = Fixtures.setHistory(entityCount: entityCount, setCount: setCount, replicaCount: 4, seed: 3)
    return Prepared(createBatches: history.createBatches, setBatches: history.sets.batched(batchSize))
}

let metrics: [BenchmarkMetric] = [.wallClock, .cpuTotal, .peakMemoryResident, .mallocCountTotal, .opsPerSecond]

func apply(_ batch: [Operation], to log: DatabasePool, codec: OperationCodec) async throws {
    _ = try await log.write { db in try OperationLog.apply(batch, receivedAt: 1_700_000_000_000, codec: codec, in: db) }
}

let benchmarks: @Sendable () -> Void = {
    let units: [BenchmarkMetric: BenchmarkUnits] = [.opsPerSecond: .count, .peakMemoryResident: .mega]
    // An iteration of the store takes well over 10 s on a virtual disk with
    // synchronous = FULL: no warmup (every iteration starts from a fresh file
    // anyway), and enough time for three samples.
    // How far a run may stray from Thresholds/ (run-benchmarks.sh --check-thresholds). CPU
    // time, as the wall clock follows the other builds on this shared machine and a virtual
    // disk whose speed changes by the hour; 35 %, as it includes the kernel's share of the
    // writes. Their allocations repeat with the seeded history: 5 %.
    let thresholds: [BenchmarkMetric: BenchmarkThresholds] = [
        .cpuTotal: .init(relative: [.p90: 35]),
        .mallocCountTotal: .init(relative: [.p90: 5]),
    ]
    let storeConfiguration = Benchmark.Configuration(
        metrics: metrics, units: units, warmupIterations: 0, maxDuration: .seconds(60), maxIterations: 3,
        thresholds: thresholds)
    let plainConfiguration = Benchmark.Configuration(
        metrics: metrics, units: units, warmupIterations: 1, maxDuration: .seconds(30), maxIterations: 5,
        thresholds: thresholds)

    Benchmark("OperationLog.apply 100k sets, batches of 1k", configuration: storeConfiguration) { (benchmark: Benchmark, prepared: Prepared) async throws in
        let directory = try ScratchDirectory(prefix: "sqlite-store-bench")
        defer { directory.remove() }
        let seconds: Double
        let count: Int
        do {
            let log = try OperationLogDatabase.open(at: directory.file("replica.sqlite"))
            let codec = OperationCodec()
            for batch in prepared.createBatches { try await apply(batch, to: log, codec: codec) }

            let clock = ContinuousClock()
            benchmark.startMeasurement()
            let start = clock.now
            for batch in prepared.setBatches { try await apply(batch, to: log, codec: codec) }
            seconds = (clock.now - start).seconds
            benchmark.stopMeasurement()

            count = try await log.read { db in try OperationLog.count(in: db) }
        }
        benchmark.measurement(.opsPerSecond, Int(Double(setCount) / seconds))
        if count != entityCount + setCount {
            benchmark.error("store holds \(count) operations, expected \(entityCount + setCount)")
        }
    } setup: {
        prepare()
    }

    Benchmark("Plain GRDB upsert 100k rows, transactions of 1k", configuration: plainConfiguration) { (benchmark: Benchmark, prepared: Prepared) async throws in
        let directory = try ScratchDirectory(prefix: "sqlite-plain-bench")
        defer { directory.remove() }
        let seconds: Double
        let rows: Int
        do {
            let pool = try DurableDatabasePool.open(path: directory.file("plain.sqlite"), configuration: DurableDatabasePool.configuration)
            try await pool.write { db in
                try db.execute(sql: """
                    CREATE TABLE fieldValue (
                        entity TEXT NOT NULL,
                        field TEXT NOT NULL,
                        value TEXT NOT NULL,
                        PRIMARY KEY (entity, field))
                    """)
            }

            let clock = ContinuousClock()
            benchmark.startMeasurement()
            let start = clock.now
            for batch in prepared.setBatches {
                try await pool.write { db in
                    let upsert = try db.cachedStatement(sql: """
                        INSERT INTO fieldValue (entity, field, value) VALUES (?, ?, ?)
                        ON CONFLICT (entity, field) DO UPDATE SET value = excluded.value
                        """)
                    for operation in batch {
                        guard case .set(let field, let value, _) = operation.change else { continue }
                        try upsert.execute(arguments: [operation.entity.description, field, value.stringValue ?? ""])
                    }
                }
            }
            seconds = (clock.now - start).seconds
            benchmark.stopMeasurement()

            rows = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM fieldValue") ?? 0 }
        }
        benchmark.measurement(.opsPerSecond, Int(Double(setCount) / seconds))
        if rows == 0 || rows > entityCount * Fixtures.fields.count {
            benchmark.error("unexpected row count \(rows)")
        }
    } setup: {
        prepare()
    }
}
