/// Who changed what, when: written in the same database transaction as the change itself.
struct CreateAuditEvents: TableMigration {
    static let table = TableSchema("audit_events") { t in
        t.id()
        // Null for events with no known user, such as a failed login for an unknown address.
        t.owner(nullable: true, indexed: false)
        t.column("action", .enumeration(.auditAction))
        t.column("entity_type", .text)
        t.column("entity_id", .uuid, nullable: true)
        // Changed fields with their old and new values; secrets are redacted before they get here.
        t.column("changes", .json, nullable: true)
        t.column("request_id", .text, nullable: true)
        t.column("client_address", .text, nullable: true)
        t.timestamps(updated: false)
        t.check("entity_type", "length(entity_type) BETWEEN 1 AND 64")
        // Ids are time-ordered (version 7), so id order is newest-first order.
        t.index(["user_id", "id DESC"], name: "audit_events_user_id_idx")
    }
}
