import FinanceCore
import Fluent

/// How each portfolio finds the cost of the units it sells: FIFO (the default) or average cost.
struct AddPortfolioCostBasisMethod: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let methods = CostBasisMethod.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        try await database.transaction { db in
            try await db.sql.execute([
                """
                ALTER TABLE portfolios ADD COLUMN cost_basis_method TEXT NOT NULL DEFAULT 'fifo' \
                CONSTRAINT portfolios_cost_basis_method_check CHECK (cost_basis_method IN (\(methods)))
                """,
            ])
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { db in
            try await db.sql.execute(["ALTER TABLE portfolios DROP COLUMN cost_basis_method"])
        }
    }
}
