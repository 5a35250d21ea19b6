import FinanceAPI
import FinanceCore
import Fluent
import Vapor

extension APIHandler {
    func listRules(_ input: Operations.ListRules.Input) async throws -> Operations.ListRules.Output {
        let rules = try await Authentication.withUser(app) { scope, _ in
            try await scope.query(Rule.self).sort(\.$priority).sort(\.$id).all()
        }
        return .ok(.init(body: .json(.init(items: try rules.map(RuleRepresentation.make)))))
    }

    func createRule(_ input: Operations.CreateRule.Input) async throws -> Operations.CreateRule.Output {
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        let draft = try RuleDraft(
            priority: body.priority, field: body.matchField?.rawValue, kind: body.matchKind?.rawValue, value: body.matchValue,
            minAmount: body.minAmount, maxAmount: body.maxAmount, accountID: body.accountId,
            category: body.category.rawValue, detailedCategory: body.detailedCategory, requireCategory: true
        )
        let rule = try await Authentication.withUser(app) { scope, _ in
            let rule = Rule()
            rule.id = UUID.timeOrdered()
            rule.priority = 100
            try await draft.apply(to: rule, in: scope)
            try await scope.create(rule, entityType: "rule")
            return rule
        }
        return .created(.init(body: .json(try RuleRepresentation.make(rule))))
    }

    func getRule(_ input: Operations.GetRule.Input) async throws -> Operations.GetRule.Output {
        let id = try PathID.parse(input.path.id)
        let rule = try await Authentication.withUser(app) { scope, _ in try await scope.find(Rule.self, id, name: "rule") }
        return .ok(.init(body: .json(try RuleRepresentation.make(rule))))
    }

    func updateRule(_ input: Operations.UpdateRule.Input) async throws -> Operations.UpdateRule.Output {
        let id = try PathID.parse(input.path.id)
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        let draft = try RuleDraft(
            priority: body.priority, field: body.matchField?.rawValue, kind: body.matchKind?.rawValue, value: body.matchValue,
            minAmount: body.minAmount, maxAmount: body.maxAmount, accountID: body.accountId,
            category: body.category?.rawValue, detailedCategory: body.detailedCategory, requireCategory: false
        )
        let rule = try await Authentication.withUser(app) { scope, _ in
            let rule = try await scope.find(Rule.self, id, name: "rule")
            let before = try RuleRepresentation.make(rule)
            try await draft.apply(to: rule, in: scope)
            try await scope.save(rule, entityType: "rule", before: before, view: RuleRepresentation.make)
            return rule
        }
        return .ok(.init(body: .json(try RuleRepresentation.make(rule))))
    }

    func deleteRule(_ input: Operations.DeleteRule.Input) async throws -> Operations.DeleteRule.Output {
        let id = try PathID.parse(input.path.id)
        try await Authentication.withUser(app) { scope, _ in
            let rule = try await scope.find(Rule.self, id, name: "rule")
            try await scope.delete(rule, entityType: "rule", view: RuleRepresentation.make)
        }
        return .noContent(.init())
    }

    func applyRules(_ input: Operations.ApplyRules.Input) async throws -> Operations.ApplyRules.Output {
        let (examined, changed) = try await Authentication.withUser(app) { scope, _ in
            let result = try await Categorizer.load(in: scope).applyToLedger(in: scope)
            if result.changed > 0 {
                scope.changes.labelsChanged(in: nil, on: nil)
                scope.changes.emit(PendingEvent(EventTypes.rulesApplied, ["updated": .int(Int64(result.changed))]))
                try await scope.audit.record(.update, entityType: "transactions", entityID: nil,
                                             changes: ["recategorized_by_rules": FieldChange(old: nil, new: String(result.changed))], on: scope.db)
            }
            return result
        }
        return .ok(.init(body: .json(.init(examined: examined, changed: changed))))
    }
}

/// A rule's fields from a request, checked together (a text condition needs all three of its parts;
/// a rule needs some condition; the amount range must not be upside down).
struct RuleDraft: Sendable {
    let priority: Int?
    let text: CategorizationRule.TextCondition??
    let minAmount: Amount?
    let maxAmount: Amount?
    let accountID: UUID?
    let category: TransactionCategory?
    let detailedCategory: String?

    init(priority: Int?, field: String?, kind: String?, value: String?, minAmount: String?, maxAmount: String?,
         accountID: String?, category: String?, detailedCategory: String?, requireCategory: Bool) throws {
        var form = FieldValidator()
        if let priority, !(0...10_000).contains(priority) { form.fail("priority", "must be from 0 to 10000") }
        self.priority = priority
        let value = form.text(value, field: "match_value", max: 200)
        switch (field.flatMap(CategorizationRule.Field.init(rawValue:)), kind.flatMap(CategorizationRule.Match.init(rawValue:)), value) {
        case (nil, nil, nil): text = nil
        case (let field?, let kind?, let value?) where !value.isEmpty: text = .some(.init(field: field, match: kind, value: value))
        default:
            form.fail("match_value", "match_field, match_kind and a non-empty match_value go together")
            text = nil
        }
        self.minAmount = form.amount(minAmount, field: "min_amount")
        self.maxAmount = form.amount(maxAmount, field: "max_amount")
        if let low = self.minAmount, let high = self.maxAmount, low > high { form.fail("max_amount", "is below min_amount") }
        self.accountID = form.uuid(accountID, field: "account_id")
        self.category = category.flatMap(TransactionCategory.init(rawValue:))
        if requireCategory, self.category == nil { form.fail("category", "is required") }
        self.detailedCategory = form.text(detailedCategory, field: "detailed_category", max: 100)
        try form.check()
    }

    func apply(to rule: Rule, in scope: UserScope) async throws {
        if let priority { rule.priority = priority }
        if let text {
            rule.matchField = text?.field
            rule.matchKind = text?.match
            rule.matchValue = text?.value
        }
        if let minAmount { rule.minAmount = minAmount }
        if let maxAmount { rule.maxAmount = maxAmount }
        if let accountID {
            _ = try await scope.find(Account.self, accountID, name: "account")
            rule.accountID = accountID
        }
        if let category { rule.category = category }
        if let detailedCategory { rule.detailedCategory = detailedCategory.isEmpty ? nil : detailedCategory }
        guard rule.domain.hasCondition else {
            throw APIError.validation(["match_value": "a rule needs a condition: text, an amount range or an account"])
        }
        if let low = rule.minAmount, let high = rule.maxAmount, low > high {
            throw APIError.validation(["max_amount": "is below min_amount"])
        }
    }
}

enum RuleRepresentation {
    static func make(_ rule: Rule) throws -> Components.Schemas.Rule {
        guard let id = rule.id, let category = Components.Schemas.TransactionCategory(rawValue: rule.category.rawValue) else {
            throw APIError.internalError
        }
        return .init(
            id: id.uuidString, priority: rule.priority,
            matchField: rule.matchField.flatMap { .init(rawValue: $0.rawValue) },
            matchKind: rule.matchKind.flatMap { .init(rawValue: $0.rawValue) }, matchValue: rule.matchValue,
            minAmount: rule.minAmount?.description, maxAmount: rule.maxAmount?.description, accountId: rule.accountID?.uuidString,
            category: category, detailedCategory: rule.detailedCategory,
            createdAt: rule.createdAt ?? Date(), updatedAt: rule.updatedAt ?? Date()
        )
    }
}
