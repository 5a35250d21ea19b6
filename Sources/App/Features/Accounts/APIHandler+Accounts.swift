import FinanceAPI
import FinanceCore
import Fluent
import SQLKit
import Vapor

extension APIHandler {
    func listAccounts(_ input: Operations.ListAccounts.Input) async throws -> Operations.ListAccounts.Output {
        let includeHidden = input.query.includeHidden ?? false, includeClosed = input.query.includeClosed ?? false
        let accounts = try await Authentication.withUser(app) { scope, _ in
            var query = scope.query(Account.self)
            if !includeHidden { query = query.filter(\.$isHidden == false) }
            if !includeClosed { query = query.filter(\.$isClosed == false) }
            return try await query.sort(\.$name).sort(\.$id).all()
        }
        return .ok(.init(body: .json(.init(items: try accounts.map(AccountRepresentation.make)))))
    }

    func createAccount(_ input: Operations.CreateAccount.Input) async throws -> Operations.CreateAccount.Output {
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var form = FieldValidator()
        let name = form.name(body.name, field: "name")
        let currency = form.currency(body.currency, field: "currency")
        let type = AccountType(rawValue: body._type.rawValue)
        let details = AccountDetails(
            opening: body.openingBalance, available: body.availableBalance, creditLimit: body.creditLimit,
            mask: body.mask, subtype: body.subtype, institution: body.institutionName, form: &form
        )
        try form.check()
        guard let name, let currency, let type else { throw APIError.validation(["type": "is not an account type"]) }

        let account = try await Authentication.withUser(app) { scope, _ in
            let opening = details.opening ?? .zero
            let account = Account(id: UUID.timeOrdered(), userID: scope.userID, name: name, type: type, currency: currency,
                                  currentBalance: opening, openingBalance: opening)
            details.apply(to: account)
            account.isHidden = body.isHidden ?? false
            account.isClosed = body.isClosed ?? false
            account.balanceUpdatedAt = scope.now
            try await scope.create(account, entityType: "account")
            scope.changes.historyChanged(of: account.id!)
            return account
        }
        return .created(.init(body: .json(try AccountRepresentation.make(account))))
    }

    func getAccount(_ input: Operations.GetAccount.Input) async throws -> Operations.GetAccount.Output {
        let id = try PathID.parse(input.path.id)
        let account = try await Authentication.withUser(app) { scope, _ in try await scope.find(Account.self, id, name: "account") }
        return .ok(.init(body: .json(try AccountRepresentation.make(account))))
    }

    func updateAccount(_ input: Operations.UpdateAccount.Input) async throws -> Operations.UpdateAccount.Output {
        let id = try PathID.parse(input.path.id)
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var form = FieldValidator()
        let name = body.name.flatMap { form.name($0, field: "name") }
        let currency = body.currency.flatMap { form.currency($0, field: "currency") }
        let details = AccountDetails(
            opening: body.openingBalance, available: body.availableBalance, creditLimit: body.creditLimit,
            mask: body.mask, subtype: body.subtype, institution: body.institutionName, form: &form
        )
        try form.check()

        let account = try await Authentication.withUser(app) { scope, _ in
            let account = try await scope.find(Account.self, id, name: "account")
            let before = AccountRepresentation.auditView(account)
            if let name { account.name = name }
            details.apply(to: account)
            if let hidden = body.isHidden { account.isHidden = hidden }
            if let closed = body.isClosed { account.isClosed = closed }
            var historyMoves = false
            if let currency, currency != account.currency {
                let used = try await scope.query(Transaction.self).filter(\.$accountID == id).first() != nil
                if used { throw APIError.validation(["currency": "cannot change while the account has transactions"]) }
                account.currency = currency
                historyMoves = true
            }
            if let opening = details.opening, account.isManual {
                account.openingBalance = opening
                historyMoves = true
            } else if details.opening != nil {
                throw APIError.validation(["opening_balance": "is reported by the institution for linked accounts"])
            }
            try await scope.save(account, entityType: "account", before: before, view: AccountRepresentation.auditView)
            // The opening balance (or the currency) is in every day of the account's history and in
            // its current balance: the answer shows them as the unit of work leaves them.
            guard historyMoves else { return account }
            scope.changes.historyChanged(of: id)
            try await scope.settle()
            return try await scope.find(Account.self, id, name: "account")
        }
        return .ok(.init(body: .json(try AccountRepresentation.make(account))))
    }

    func deleteAccount(_ input: Operations.DeleteAccount.Input) async throws -> Operations.DeleteAccount.Output {
        let id = try PathID.parse(input.path.id)
        try await Authentication.withUser(app) { scope, _ in
            let account = try await scope.find(Account.self, id, name: "account")
            let span = try await scope.db.sql.raw("""
                SELECT min(date) AS first, max(date) AS last FROM transactions WHERE account_id = \(bind: id)
                """).first()
            let first = try span?.decode(column: "first", as: LocalDate?.self), last = try span?.decode(column: "last", as: LocalDate?.self)
            try await scope.delete(account, entityType: "account", view: AccountRepresentation.auditView)
            // Its transactions went with it: the transfers they paired and the days they were summed in change.
            if let first, let last { scope.changes.transactionsChanged(in: id, days: first...last) }
        }
        return .noContent(.init())
    }
}

/// The optional fields that creating and changing an account share, checked the same way.
struct AccountDetails: Sendable {
    let opening, available, creditLimit: Amount?
    let mask, subtype, institution: String?

    init(opening: String?, available: String?, creditLimit: String?, mask: String?, subtype: String?, institution: String?,
         form: inout FieldValidator) {
        self.opening = form.amount(opening, field: "opening_balance")
        self.available = form.amount(available, field: "available_balance")
        self.creditLimit = form.amount(creditLimit, field: "credit_limit")
        if let limit = self.creditLimit, limit.isNegative { form.fail("credit_limit", "must not be negative") }
        self.mask = form.mask(mask)
        self.subtype = form.text(subtype, field: "subtype", max: 100)
        self.institution = form.text(institution, field: "institution_name", max: 200)
    }

    /// Sets what was given; the opening balance is the caller's, as it moves the balance.
    func apply(to account: Account) {
        if let subtype { account.subtype = subtype.isEmpty ? nil : subtype }
        if let institution { account.institutionName = institution.isEmpty ? nil : institution }
        if let mask { account.mask = mask }
        if let available { account.availableBalance = available }
        if let creditLimit { account.creditLimit = creditLimit }
    }
}

struct AccountAuditView: Encodable {
    let name: String
    let type: String
    let subtype: String?
    let currency: String
    let openingBalance: String
    let availableBalance: String?
    let creditLimit: String?
    let institutionName: String?
    let mask: String?
    let isHidden: Bool
    let isClosed: Bool
}

enum AccountRepresentation {
    static func make(_ account: Account) throws -> Components.Schemas.Account {
        guard let id = account.id, let type = Components.Schemas.AccountType(rawValue: account.type.rawValue) else {
            throw APIError.internalError
        }
        let money = { (amount: Amount) in Money(amount, account.currency).formattedAmount }
        return .init(
            id: id.uuidString, name: account.name, _type: type, subtype: account.subtype, currency: account.currency.code,
            currentBalance: money(account.currentBalance), availableBalance: account.availableBalance.map(money),
            openingBalance: money(account.openingBalance), creditLimit: account.creditLimit.map(money),
            institutionName: account.institutionName, mask: account.mask, isManual: account.isManual,
            isLiability: account.type.isLiability, isHidden: account.isHidden, isClosed: account.isClosed,
            balanceUpdatedAt: account.balanceUpdatedAt, createdAt: account.createdAt ?? Date(), updatedAt: account.updatedAt ?? Date()
        )
    }

    static func auditView(_ account: Account) -> AccountAuditView {
        AccountAuditView(
            name: account.name, type: account.type.rawValue, subtype: account.subtype, currency: account.currency.code,
            openingBalance: account.openingBalance.description, availableBalance: account.availableBalance?.description,
            creditLimit: account.creditLimit?.description, institutionName: account.institutionName, mask: account.mask,
            isHidden: account.isHidden, isClosed: account.isClosed
        )
    }
}
