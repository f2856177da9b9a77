import Benchmark
import BenchmarkFixtures
import SyncCore

/// Foundation also declares an `Operation`; here the word means SyncCore's.
typealias Operation = SyncCore.Operation

/// Two replicas, A and B, start from the same 5,000 operations (1,000 entities
/// created and their four fields set once), then each writes 100,000 field sets
/// offline on the same entities and fields. The measured region is the merge:
/// A's offline operations applied on B, then B's on A, with `ReplicaState.apply`
/// in batches of 1,000 (as a pull hands them out). Goal: under 1 second.
///
/// Convergence (equal knowledge and equal snapshots) is checked after the
/// measured region.
let entityCount = 1_000
let offlineCount = 100_000
let batchLimit = 1_000

extension BenchmarkMetric {
    static var mergedOpsPerSecond: BenchmarkMetric {
        .custom("ops merged per second", polarity: .prefersLarger, useScalingFactor: false)
    }
    static var openConflicts: BenchmarkMetric {
        .custom("open conflicts after merge", polarity: .prefersSmaller, useScalingFactor: false)
    }
    static var batches: BenchmarkMetric { .custom("batches", polarity: .prefersSmaller, useScalingFactor: false) }
}

struct Prepared: Sendable {
    let sharedBatches: [[Operation]]
    let batchesA: [[Operation]]
    let batchesB: [[Operation]]
}

/// Applies the other side's offline batches. Returns the number of batches
/// and of operations delivered.
func deliver(_ batches: [[Operation]], to receiver: inout ReplicaState) throws -> (batches: Int, operations: Int) {
    var operations = 0
    for batch in batches {
        try receiver.apply(batch)
        operations += batch.count
    }
    return (batches.count, operations)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark(
        "Merge 2 x 100k offline sets (A's on B, B's on A, batches of 1k)",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, .peakMemoryResident, .memoryLeakedBytes, .mallocCountTotal,
                      .mergedOpsPerSecond, .openConflicts, .batches],
            units: [.mergedOpsPerSecond: .count, .openConflicts: .count, .peakMemoryResident: .mega,
                    .memoryLeakedBytes: .mega],
            warmupIterations: 1,
            maxDuration: .seconds(30),
            maxIterations: 5,
            // Checked against Thresholds/ by run-benchmarks.sh --check-thresholds. CPU time
            // (the wall clock follows the other builds on this shared machine). Allocations and
            // heap growth: seeded, so stable. Batches and open conflicts are exact: another
            // count means the merge changed.
            thresholds: [
                .cpuTotal: .init(relative: [.p90: 25]),
                .mallocCountTotal: .init(relative: [.p90: 5]),
                .memoryLeakedBytes: .init(relative: [.p90: 5]),
                .batches: .init(absolute: [.p90: 0]),
                .openConflicts: .init(absolute: [.p90: 0]),
            ])
    ) { (benchmark: Benchmark, prepared: Prepared) throws in
        // Both replicas as they are when they come back online (outside the measured region).
        var a = ReplicaState()
        var b = ReplicaState()
        for batch in prepared.sharedBatches {
            try a.apply(batch)
            try b.apply(batch)
        }
        for batch in prepared.batchesA { try a.apply(batch) }
        for batch in prepared.batchesB { try b.apply(batch) }

        benchmark.startMeasurement()
        let merge = try timed {
            let toB = try deliver(prepared.batchesA, to: &b)
            let toA = try deliver(prepared.batchesB, to: &a)
            return (batches: toB.batches + toA.batches, operations: toB.operations + toA.operations)
        }
        benchmark.stopMeasurement()

        benchmark.measurement(.mergedOpsPerSecond, Int(Double(merge.result.operations) / merge.seconds))
        benchmark.measurement(.batches, merge.result.batches)

        guard merge.result.operations == 2 * offlineCount else {
            benchmark.error("delivered \(merge.result.operations) operations, expected \(2 * offlineCount)")
            return
        }
        guard a.knowledge == b.knowledge, a.operationCount == b.operationCount else {
            benchmark.error("replicas did not converge: knowledge differs")
            return
        }
        guard a.snapshots() == b.snapshots() else {
            benchmark.error("replicas did not converge: snapshots differ")
            return
        }
        benchmark.measurement(.openConflicts, a.conflicts().filter(\.isOpen).count)
    } setup: {
        let history = Fixtures.offlineHistory(entityCount: entityCount, offlineCount: offlineCount, seed: 2)
        return Prepared(
            sharedBatches: history.shared.batched(batchLimit),
            batchesA: history.onA.batched(batchLimit),
            batchesB: history.onB.batched(batchLimit))
    }
}
