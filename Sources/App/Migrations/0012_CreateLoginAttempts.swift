/// Failed and successful logins, kept briefly so throttling holds across server processes.
struct CreateLoginAttempts: TableMigration {
    static let table = TableSchema("login_attempts") { t in
        t.id()
        t.column("email", .text)
        t.column("client_address", .text, nullable: true)
        t.column("succeeded", .boolean)
        t.timestamps(updated: false)
        t.index(["email", "created_at"])
        t.index(["client_address", "created_at"])
    }
}
