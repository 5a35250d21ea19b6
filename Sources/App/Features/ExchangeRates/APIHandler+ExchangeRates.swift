import FinanceAPI
import FinanceCore
import Foundation
import OpenAPIRuntime

extension APIHandler {
    func listFxRates(_ input: Operations.ListFxRates.Input) async throws -> Operations.ListFxRates.Output {
        var form = FieldValidator()
        let base = input.query.base.flatMap { form.currency($0, field: "base") }
        let quote = input.query.quote.flatMap { form.currency($0, field: "quote") }
        let from = form.date(input.query.from, field: "from"), to = form.date(input.query.to, field: "to")
        try form.check()
        let quotes = try await Authentication.withUser(app) { scope, _ in
            try await ExchangeRateStore(userID: scope.userID, db: scope.db).list(base: base, quote: quote, from: from, to: to, limit: 10_000)
        }
        return .ok(.init(body: .json(.init(items: quotes.map(Self.fxRate)))))
    }

    func saveFxRates(_ input: Operations.SaveFxRates.Input) async throws -> Operations.SaveFxRates.Output {
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var form = FieldValidator()
        if body.rates.isEmpty { form.fail("rates", "must hold at least one rate") }
        if body.rates.count > 10_000 { form.fail("rates", "holds more than 10,000 rates; send them in parts") }
        var quotes: [ExchangeRateQuote] = []
        for (index, rate) in body.rates.enumerated() {
            let prefix = "rates[\(index)]"
            let date = form.date(rate.date, field: "\(prefix).date")
            let base = form.currency(rate.base, field: "\(prefix).base"), quote = form.currency(rate.quote, field: "\(prefix).quote")
            let value = form.rate(rate.rate, field: "\(prefix).rate")
            if let base, base == quote { form.fail("\(prefix).quote", "is the same currency as base") }
            if let date, let base, let quote, let value { quotes.append(ExchangeRateQuote(date: date, base: base, quote: quote, rate: value)) }
        }
        try form.check()
        let saved = try await save(quotes)
        return .ok(.init(body: .json(.init(saved: saved))))
    }

    func importFxRates(_ input: Operations.ImportFxRates.Input) async throws -> Operations.ImportFxRates.Output {
        guard case .csv(let body) = input.body else { throw APIError.malformedBody("expected a CSV file as the body") }
        let bytes = try await [UInt8](collecting: body, upTo: app.settings.maxBodySize)
        let quotes: [ExchangeRateQuote]
        do {
            quotes = try ExchangeRateCSV.parse(bytes)
        } catch {
            throw APIError.importFailed(error)
        }
        guard !quotes.isEmpty else { throw APIError.validation(["file": "holds no rates"]) }
        return .ok(.init(body: .json(.init(saved: try await save(quotes)))))
    }

    private func save(_ quotes: [ExchangeRateQuote]) async throws -> Int {
        try await Authentication.withUser(app) { scope, _ in
            let saved = try await ExchangeRateStore(userID: scope.userID, db: scope.db).save(quotes)
            scope.changes.ratesChanged()
            try await scope.audit.record(.create, entityType: "fx_rates", entityID: nil, changes: [
                "saved": FieldChange(old: nil, new: String(saved)),
            ], on: scope.db)
            return saved
        }
    }

    private static func fxRate(_ quote: ExchangeRateQuote) -> Components.Schemas.FxRate {
        .init(date: quote.date.description, base: quote.base.code, quote: quote.quote.code, rate: quote.rate.description)
    }
}
