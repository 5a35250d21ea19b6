import FinanceCore
import Testing

@Suite("Email addresses and password rules")
struct IdentityTests {
    @Test("Addresses are trimmed and lower-cased", arguments: [
        ("Ada@Example.COM", "ada@example.com"), ("  grace@navy.mil ", "grace@navy.mil"), ("a.b+tag@sub.example.org", "a.b+tag@sub.example.org"),
    ])
    func normalized(text: String, expected: String) {
        #expect(EmailAddress(text)?.value == expected)
    }

    @Test("Implausible addresses are refused", arguments: [
        "", "ada", "ada@", "@example.com", "ada@example", "ada@@example.com", "ada@.example.com", "ada@example.com.",
        "ada lovelace@example.com", "ada@exa..mple.com", "ada\u{0}@example.com", String(repeating: "a", count: 65) + "@example.com",
    ])
    func refused(text: String) {
        #expect(EmailAddress(text) == nil)
    }

    @Test("Passwords are 10 to 128 characters and not the email address")
    func passwords() {
        #expect(PasswordPolicy.problem(with: "short pwd", email: nil) == "must be at least 10 characters long")
        #expect(PasswordPolicy.problem(with: "ten chars!", email: nil) == nil)
        #expect(PasswordPolicy.problem(with: String(repeating: "x", count: 128), email: nil) == nil)
        #expect(PasswordPolicy.problem(with: String(repeating: "x", count: 129), email: nil) == "must be at most 128 characters long")
        #expect(PasswordPolicy.problem(with: "Someone@Example.com", email: "someone@example.com") == "must not be the email address")
        #expect(PasswordPolicy.problem(with: "someone@example.com-2", email: "someone@example.com") == nil)
        // Characters, not bytes: ten accented letters are ten characters.
        #expect(PasswordPolicy.problem(with: String(repeating: "é", count: 10), email: nil) == nil)
    }
}
