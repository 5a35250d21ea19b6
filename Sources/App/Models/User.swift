import FinanceCore
import Fluent
import Foundation

/// A person using the server. The email is stored lower-cased; the database also refuses two
/// addresses that differ only in capitals.
final class User: Model, @unchecked Sendable {
    static let schema = "users"

    @ID(key: .id) var id: UUID?
    @Field(key: "email") var email: String
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "full_name") var fullName: String
    @Field(key: "base_currency") var baseCurrency: CurrencyCode
    @Field(key: "is_active") var isActive: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(id: UUID? = nil, email: String, passwordHash: String, fullName: String, baseCurrency: CurrencyCode = .usd, isActive: Bool = true) {
        self.id = id
        self.email = email.lowercased()
        self.passwordHash = passwordHash
        self.fullName = fullName
        self.baseCurrency = baseCurrency
        self.isActive = isActive
    }
}
