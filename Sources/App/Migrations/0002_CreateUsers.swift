struct CreateUsers: TableMigration {
    static let table = TableSchema("users") { t in
        t.id()
        t.column("email", .text)
        t.column("password_hash", .text)
        t.column("full_name", .text)
        t.column("base_currency", .currency, default: "'USD'")
        t.column("is_active", .boolean, default: "true")
        t.timestamps()
        t.check("email", "length(email) BETWEEN 3 AND 320 AND email LIKE '%_@_%'")
        t.check("full_name", "length(full_name) <= 200")
        t.check("password_hash", "length(password_hash) > 0")
        // One account per address, whatever its capitals.
        t.index(["lower(email)"], unique: true, name: "users_email_lower_key")
    }
}
