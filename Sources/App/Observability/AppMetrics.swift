import Metrics
import Prometheus
import Synchronization

/// The process's metrics, in one place. Vapor records `http_requests_total` and
/// `http_request_duration_seconds` (by method, route and status) through swift-metrics;
/// the gauges and timers below add the database's side. All are served as Prometheus text at `/metrics`.
public enum AppMetrics {
    private static let bootstrapped = Mutex<PrometheusCollectorRegistry?>(nil)

    /// The registry behind `/metrics`. swift-metrics can be bootstrapped once per process,
    /// so every application in the process (tests start many) shares it.
    public static var registry: PrometheusCollectorRegistry {
        bootstrapped.withLock { registry in
            if let registry { return registry }
            let created = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: created)
            factory.defaultDurationHistogramBuckets = [
                .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
            ]
            MetricsSystem.bootstrap(factory)
            registry = created
            return created
        }
    }

    static func emit() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }

    /// Connections the pool may open, across event loops.
    static func recordPoolCapacity(engine: String, connections: Int) {
        _ = registry
        Gauge(label: "finance_db_pool_max_connections", dimensions: [("engine", engine)]).record(connections)
    }

    /// How long the readiness probe's round trip to the database took.
    static func databasePing(engine: String) -> Metrics.Timer {
        _ = registry
        return Metrics.Timer(label: "finance_db_ping_duration_seconds", dimensions: [("engine", engine)])
    }

    /// Background jobs by kind and how they ended: succeeded, retrying, failed.
    static func recordJob(kind: String, outcome: String) {
        _ = registry
        Counter(label: "finance_jobs_total", dimensions: [("kind", kind), ("outcome", outcome)]).increment()
    }

    /// Plaid webhooks by type, code and what became of them: accepted, duplicate, refused.
    static func recordWebhook(type: String, code: String, outcome: String) {
        _ = registry
        Counter(label: "finance_plaid_webhooks_total", dimensions: [("type", type), ("code", code), ("outcome", outcome)]).increment()
    }
}
