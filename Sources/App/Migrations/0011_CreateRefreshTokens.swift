/// Sessions. Only a hash of each refresh token is kept; a family is every token one login led to.
struct CreateRefreshTokens: TableMigration {
    static let table = TableSchema("refresh_tokens") { t in
        t.id()
        t.owner()
        t.column("family_id", .uuid)
        t.column("token_hash", .bytes)
        t.column("expires_at", .timestamp)
        t.column("revoked_at", .timestamp, nullable: true)
        t.column("replaced_by_id", .uuid, nullable: true)
        t.column("user_agent", .text, nullable: true)
        t.column("client_address", .text, nullable: true)
        t.timestamps()
        t.unique(["token_hash"])
        t.index(["family_id"])
    }
}
