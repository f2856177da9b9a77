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
    }

    static let operationsPushed = Counter(label: "sync_operations_pushed_total")
    static let operationsPulled = Counter(label: "sync_operations_pulled_total")
    static let pushSessions = Counter(label: "sync_sessions_total", dimensions: [("kind", "push")])
    static let pullSessions = Counter(label: "sync_sessions_total", dimensions: [("kind", "pull")])
    static let openConflicts = Gauge(label: "sync_open_conflicts")
}
