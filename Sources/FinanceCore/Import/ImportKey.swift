/// Stable fingerprints for import keys.
enum ImportKey {
    /// The 64-bit FNV-1a hash of the text's UTF-8 bytes, as 16 lowercase hex digits. Not cryptographic:
    /// it only has to tell apart the transactions of one account, and to stay the same across releases.
    static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
