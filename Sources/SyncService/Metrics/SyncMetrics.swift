import Metrics
import Prometheus

/// Process-wide metrics. swift-metrics has one global backend, bootstrapped
/// once however many applications a process builds (tests build many).
public enum SyncMetrics {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    static func bootstrap() { _ = registry }

    /// Sets the gauges that are otherwise only updated by pushes, so that a
    /// freshly started server reports the truth before the first push.
    public static func prime(from database: ServerDatabase) async throws {
        bootstrap()
        openConflicts.record(try await database.openConflictCount())
        storageFull.record(0)
        storageFullRefusals.increment(by: 0)
    }

    static let operationsPushed = Counter(label: "sync_operations_pushed_total")
    static let operationsPulled = Counter(label: "sync_operations_pulled_total")
    static let pushSessions = Counter(label: "sync_sessions_total", dimensions: [("kind", "push")])
    static let pullSessions = Counter(label: "sync_sessions_total", dimensions: [("kind", "pull")])
    static let openConflicts = Gauge(label: "sync_open_conflicts")
    /// Requests answered `503 storage-full`, and 1 while the last write
    /// failed for lack of space (0 once one is stored again).
    static let storageFullRefusals = Counter(label: "sync_storage_full_total")
    static let storageFull = Gauge(label: "sync_storage_full")
}
