import FinanceAPI
import Fluent
import Metrics
import SQLKit
import Vapor

extension APIHandler {
    func healthLive(_ input: Operations.HealthLive.Input) async throws -> Operations.HealthLive.Output {
        .ok(.init(body: .json(.init(status: .ok))))
    }

    func healthReady(_ input: Operations.HealthReady.Input) async throws -> Operations.HealthReady.Output {
        let database = app.db
        let engine = database.engine
        let start = ContinuousClock.now
        do {
            _ = try await database.sql.raw("SELECT 1 AS ok").first()
        } catch {
            app.logger.warning("Readiness check failed: the database did not answer: \(String(reflecting: error))")
            throw APIError.serviceUnavailable
        }
        AppMetrics.databasePing(engine: engine.rawValue).recordInterval(ContinuousClock.now - start)
        return .ok(.init(body: .json(.init(
            status: .ok,
            database: .init(engine: engine == .postgres ? .postgres : .sqlite, status: .ok)
        ))))
    }

    func metrics(_ input: Operations.Metrics.Input) async throws -> Operations.Metrics.Output {
        .ok(.init(body: .plainText(.init(AppMetrics.emit()))))
    }
}

extension Metrics.Timer {
    func recordInterval(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
