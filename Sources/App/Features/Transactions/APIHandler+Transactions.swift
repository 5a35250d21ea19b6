import FinanceAPI
import FinanceCore
import OpenAPIRuntime
import Fluent
import Vapor

extension APIHandler {
    func listTransactions(_ input: Operations.ListTransactions.Input) async throws -> Operations.ListTransactions.Output {
        let query = input.query
        let filters = try TransactionSearch(
            accountIDs: query.accountId, from: query.from, to: query.to, categories: query.category?.map(\.rawValue),
            minAmount: query.minAmount, maxAmount: query.maxAmount, pending: query.pending, text: query.q
        )
        let page = try PageRequest(limit: query.limit, cursor: query.cursor)
        let after = try page.cursor.map(TransactionCursor.decode)

        // Totals that need every matching row summed come only when asked for: a page never costs a full scan.
        let withTotals = switch query.totals ?? .auto {
        case .always: true
        case .never: false
        case .auto: filters.totalsFromRollups
        }
        let (rows, totals) = try await Authentication.withUser(app) { scope, _ in
            let rows = try await filters.page(userID: scope.userID, after: after, limit: page.limit + 1, on: scope.db)
            let totals = withTotals ? try await filters.totals(userID: scope.userID, on: scope.db) : nil
            return (rows, totals)
        }
        let items = try rows.prefix(page.limit).map { try TransactionRepresentation.make($0) }
        let next = rows.count > page.limit ? TransactionCursor.encode(rows[page.limit - 1]) : nil
        return .ok(.init(body: .json(.init(
            items: items, nextCursor: next,
            totals: totals?.map { total in
                .init(currency: total.currency.code, moneyIn: Money(total.moneyIn, total.currency).formattedAmount,
                      moneyOut: Money(total.moneyOut, total.currency).formattedAmount, count: total.count)
            }
        ))))
    }

    func exportTransactions(_ input: Operations.ExportTransactions.Input) async throws -> Operations.ExportTransactions.Output {
        let query = input.query
        let filters = try TransactionSearch(
            accountIDs: query.accountId, from: query.from, to: query.to, categories: query.category?.map(\.rawValue),
            minAmount: query.minAmount, maxAmount: query.maxAmount, pending: query.pending, text: query.q
        )
        let names = try await Authentication.withUser(app) { scope, _ in
            try await scope.query(Account.self).all().reduce(into: [UUID: String]()) { names, account in
                if let id = account.id { names[id] = account.name }
            }
        }
        let user = try await Authentication.requireUser(app)
        let export = TransactionExport(app: app, userID: user.id, search: filters, accountNames: names)
        return .ok(.init(
            headers: .init(contentDisposition: "attachment; filename=\"transactions.csv\""),
            body: .csv(HTTPBody(export, length: .unknown, iterationBehavior: .single))
        ))
    }

    func createTransaction(_ input: Operations.CreateTransaction.Input) async throws -> Operations.CreateTransaction.Output {
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var form = FieldValidator()
        let fields = TransactionFields(
            accountID: body.accountId, date: body.date, authorizedDate: body.authorizedDate, amount: body.amount,
            description: body.description, merchant: body.merchantName, detailed: body.detailedCategory, notes: body.notes,
            category: body.category?.rawValue, form: &form
        )
        let currency = body.currency.flatMap { form.currency($0, field: "currency") }
        try form.check()
        guard let accountID = fields.accountID, let date = fields.date, let amount = fields.amount,
              let description = fields.description else { throw APIError.validation(form.problems) }
        let (merchant, detailed, notes, category, authorizedDate) = (fields.merchant, fields.detailed, fields.notes, fields.category, fields.authorizedDate)

        let transaction = try await Authentication.withUser(app, batched: true) { scope, _ in
            // Somebody else's account is as unknown as one that does not exist.
            let account = try await LedgerAccount.find(accountID, in: scope)
            if let currency, currency != account.currency {
                throw APIError.validation(["currency": "must be the account's currency, \(account.currency)"])
            }
            guard account.isManual else {
                throw APIError.validation(["account_id": "is linked to an institution; its transactions come from there"])
            }
            var row = NewTransactionRow(
                userID: scope.userID, accountID: accountID, date: date, amount: amount, currency: account.currency,
                description: description, merchantName: merchant.flatMap { $0.isEmpty ? nil : $0 },
                category: category ?? .uncategorized, categorySource: .user, pending: body.pending ?? false,
                detailedCategory: detailed.flatMap { $0.isEmpty ? nil : $0 }, authorizedDate: authorizedDate,
                notes: notes.flatMap { $0.isEmpty ? nil : $0 })
            if category == nil {
                // Nobody chose a category: the user's rules may.
                let outcome = try await Categorizer.load(in: scope).categorize(
                    accountID: accountID, amount: amount, description: description, merchantName: row.merchantName,
                    fallback: (.uncategorized, .default))
                row.category = outcome.category
                row.categorySource = outcome.source
                if outcome.source == .rule { row.detailedCategory = outcome.detailed }
            }
            // A plain row, as an import writes them: its day's totals are added to and only its amount is paired.
            let now = scope.now
            try await TransactionBulkInsert.insert([row], on: scope.db, now: now)
            let created = TransactionRecord(row, at: now)
            scope.changes.touched("transaction")
            try await scope.audit.record(.create, entityType: "transaction", entityID: row.id,
                                         changes: AuditChanges.between(old: nil, new: TransactionRepresentation.auditView(created)), on: scope.db)
            scope.changes.transactionsInserted([row])
            return created
        }
        return .created(.init(body: .json(try TransactionRepresentation.make(transaction))))
    }

    func getTransaction(_ input: Operations.GetTransaction.Input) async throws -> Operations.GetTransaction.Output {
        let id = try PathID.parse(input.path.id)
        let transaction = try await Authentication.withUser(app) { scope, _ in
            try await scope.find(Transaction.self, id, name: "transaction")
        }
        return .ok(.init(body: .json(try TransactionRepresentation.make(transaction))))
    }

    func updateTransaction(_ input: Operations.UpdateTransaction.Input) async throws -> Operations.UpdateTransaction.Output {
        let id = try PathID.parse(input.path.id)
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var form = FieldValidator()
        let fields = TransactionFields(
            accountID: body.accountId, date: body.date, authorizedDate: body.authorizedDate, amount: body.amount,
            description: body.description, merchant: body.merchantName, detailed: body.detailedCategory, notes: body.notes,
            category: body.category?.rawValue, form: &form
        )
        try form.check()
        let (accountID, date, authorizedDate, amount, description) = (fields.accountID, fields.date, fields.authorizedDate, fields.amount, fields.description)
        let (merchant, detailed, notes, category) = (fields.merchant, fields.detailed, fields.notes, fields.category)

        let transaction = try await Authentication.withUser(app, batched: true) { scope, _ in
            let was = try await TransactionRecord.find(id, in: scope)
            var transaction = was
            if let accountID, accountID != transaction.accountID {
                let target = try await scope.find(Account.self, accountID, name: "account")
                guard target.currency == transaction.currency else {
                    throw APIError.validation(["account_id": "must be an account in \(transaction.currency)"])
                }
                transaction.accountID = accountID
            }
            if let date { transaction.date = date }
            if let authorizedDate { transaction.authorizedDate = authorizedDate }
            if let amount { transaction.amount = amount }
            if let description { transaction.description = description }
            if let merchant { transaction.merchantName = merchant.isEmpty ? nil : merchant }
            if let detailed { transaction.detailedCategory = detailed.isEmpty ? nil : detailed }
            if let notes { transaction.notes = notes.isEmpty ? nil : notes }
            if let pending = body.pending { transaction.pending = pending }
            if let category {
                transaction.category = category
                transaction.categorySource = .user
            }
            guard transaction != was else { return transaction }
            transaction.updatedAt = scope.now
            try await transaction.update(in: scope)
            scope.changes.touched("transaction")
            try await scope.audit.record(.update, entityType: "transaction", entityID: id, changes: AuditChanges.between(
                old: TransactionRepresentation.auditView(was), new: TransactionRepresentation.auditView(transaction)), on: scope.db)
            if was.accountID != transaction.accountID || was.date != transaction.date || was.amount != transaction.amount {
                scope.changes.transactionsChanged(in: was.accountID, days: was.date...was.date)
                scope.changes.transactionsChanged(in: transaction.accountID, days: transaction.date...transaction.date)
            } else if was.category != transaction.category || was.pending != transaction.pending {
                // Balances, snapshots and transfer pairs follow amounts and days alone; the day's
                // totals move from one category (or pending flag) to another.
                scope.changes.labelsMoved(MonthTotals.Move(
                    accountID: transaction.accountID, date: transaction.date, amount: transaction.amount, currency: transaction.currency,
                    from: (was.category, was.pending), to: (transaction.category, transaction.pending)))
            }
            return transaction
        }
        return .ok(.init(body: .json(try TransactionRepresentation.make(transaction))))
    }

    func deleteTransaction(_ input: Operations.DeleteTransaction.Input) async throws -> Operations.DeleteTransaction.Output {
        let id = try PathID.parse(input.path.id)
        try await Authentication.withUser(app, batched: true) { scope, _ in
            let transaction = try await scope.find(Transaction.self, id, name: "transaction")
            try await scope.delete(transaction, entityType: "transaction", view: TransactionRepresentation.auditView)
            scope.changes.transactionsChanged(in: transaction.accountID, days: transaction.date...transaction.date)
        }
        return .noContent(.init())
    }

    func bulkUpdateTransactions(_ input: Operations.BulkUpdateTransactions.Input) async throws -> Operations.BulkUpdateTransactions.Output {
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var form = FieldValidator()
        let ids = Set(body.ids.compactMap { form.uuid($0, field: "ids") })
        if body.ids.isEmpty || body.ids.count > 1_000 { form.fail("ids", "must list 1 to 1000 ids") }
        let category = body.category.flatMap { TransactionCategory(rawValue: $0.rawValue) }
        let notes = form.text(body.notes, field: "notes", max: 10_000)
        if category == nil && notes == nil { form.fail("category", "or notes must be given") }
        try form.check()

        let updated = try await Authentication.withUser(app) { scope, _ in
            let found = try await scope.query(Transaction.self).filter(\.$id ~~ ids).all()
            guard found.count == ids.count else {
                throw APIError(.notFound, code: "not_found", message: "\(ids.count - found.count) of the ids name no transaction of yours; nothing changed.")
            }
            var changed = 0
            for transaction in found {
                let before = try TransactionRepresentation.auditView(transaction)
                if let category {
                    transaction.category = category
                    transaction.categorySource = .user
                }
                if let notes { transaction.notes = notes.isEmpty ? nil : notes }
                guard try await scope.save(transaction, entityType: "transaction", before: before, view: TransactionRepresentation.auditView) else { continue }
                changed += 1
                // A new category moves the day's spending from one category to another.
                if category != nil { scope.changes.labelsChanged(in: transaction.accountID, on: transaction.date...transaction.date) }
            }
            return changed
        }
        return .ok(.init(body: .json(.init(updated: updated))))
    }
}

/// The fields that creating and changing a transaction share, checked the same way.
struct TransactionFields: Sendable {
    let accountID: UUID?
    let date, authorizedDate: LocalDate?
    let amount: Amount?
    let description, merchant, detailed, notes: String?
    let category: TransactionCategory?

    init(accountID: String?, date: String?, authorizedDate: String?, amount: String?, description: String?, merchant: String?,
         detailed: String?, notes: String?, category: String?, form: inout FieldValidator) {
        self.accountID = form.uuid(accountID, field: "account_id")
        self.date = form.date(date, field: "date")
        self.authorizedDate = form.date(authorizedDate, field: "authorized_date")
        self.amount = form.amount(amount, field: "amount")
        self.description = form.text(description, field: "description", max: 2000)
        if self.description?.isEmpty == true { form.fail("description", "must not be empty") }
        self.merchant = form.text(merchant, field: "merchant_name", max: 200)
        self.detailed = form.text(detailed, field: "detailed_category", max: 100)
        self.notes = form.text(notes, field: "notes", max: 10_000)
        self.category = category.flatMap(TransactionCategory.init(rawValue:))
    }
}

/// Keyset cursor of the ledger: the date and id of the last row of a page.
enum TransactionCursor {
    static func encode(_ transaction: TransactionRecord) -> String {
        PageRequest.encode(["\(transaction.date)", transaction.id.uuidString])
    }

    static func decode(_ parts: [String]) throws -> TransactionSearch.Position {
        guard parts.count == 2, let date = LocalDate(iso8601: parts[0]), let id = UUID(uuidString: parts[1]) else {
            throw PageRequest.invalidCursor
        }
        return .init(date: date, id: id)
    }
}

struct TransactionAuditView: AuditFields {
    let accountId: String
    let date: String
    let authorizedDate: String?
    let amount: String
    let currency: String
    let description: String
    let merchantName: String?
    let category: String
    let categorySource: String
    let detailedCategory: String?
    let pending: Bool
    let notes: String?

    /// A field without a value is left out, as its JSON form leaves it out.
    var auditFields: [String: String?] {
        let fields: [String: String?] = ["account_id": accountId, "date": date, "authorized_date": authorizedDate, "amount": amount, "currency": currency,
         "description": description, "merchant_name": merchantName, "category": category, "category_source": categorySource,
         "detailed_category": detailedCategory, "pending": pending ? "true" : "false", "notes": notes]
        return fields.filter { $0.value != nil }
    }
}

enum TransactionRepresentation {
    static func make(_ transaction: Transaction) throws -> Components.Schemas.Transaction {
        try make(TransactionRecord(transaction))
    }

    static func make(_ transaction: TransactionRecord) throws -> Components.Schemas.Transaction {
        guard let category = Components.Schemas.TransactionCategory(rawValue: transaction.category.rawValue),
              let source = Components.Schemas.Transaction.CategorySourcePayload(rawValue: transaction.categorySource.rawValue) else {
            throw APIError.internalError
        }
        return .init(
            id: transaction.id.uuidString, accountId: transaction.accountID.uuidString, date: "\(transaction.date)",
            authorizedDate: transaction.authorizedDate.map { "\($0)" }, amount: transaction.money.formattedAmount,
            currency: transaction.currency.code, description: transaction.description, merchantName: transaction.merchantName,
            category: category, detailedCategory: transaction.detailedCategory, categorySource: source,
            pending: transaction.pending, notes: transaction.notes,
            createdAt: transaction.createdAt ?? Date(), updatedAt: transaction.updatedAt ?? Date()
        )
    }

    /// What the audit trail records of a transaction: the fields a person or a sync can change.
    static func auditView(_ transaction: TransactionRecord) -> TransactionAuditView {
        TransactionAuditView(
            accountId: transaction.accountID.uuidString, date: "\(transaction.date)", authorizedDate: transaction.authorizedDate.map { "\($0)" },
            amount: transaction.amount.description, currency: transaction.currency.code, description: transaction.description,
            merchantName: transaction.merchantName, category: transaction.category.rawValue,
            categorySource: transaction.categorySource.rawValue, detailedCategory: transaction.detailedCategory,
            pending: transaction.pending, notes: transaction.notes
        )
    }

    static func auditView(_ transaction: Transaction) throws -> TransactionAuditView {
        auditView(try TransactionRecord(transaction))
    }
}
