/// Stable fingerprints for import keys.
enum ImportKey {
    /// The 64-bit FNV-1a hash of UTF-8 bytes, written as 16 lowercase hex digits. Not cryptographic: it only
    /// has to tell apart the transactions of one account, and to stay the same across releases.
    ///
    /// It is fed piece by piece, numbers and days as their decimal text, so that a key can be hashed
    /// without first building the text it stands for.
    struct FNV1a {
        private var value: UInt64 = 0xcbf2_9ce4_8422_2325

        mutating func add(_ byte: UInt8) {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01B3
        }

        mutating func add(_ bytes: some Sequence<UInt8>) {
            for byte in bytes { add(byte) }
        }

        /// The decimal digits of `number`, with a leading `-` when negative, as `"\(number)"` writes them.
        mutating func add(decimal number: Int64) {
            if number < 0 { add(UInt8(ascii: "-")) }
            var magnitude = number.magnitude
            var divisor: UInt64 = 1
            while magnitude / divisor >= 10 { divisor *= 10 }
            repeat {
                add(UInt8(ascii: "0") + UInt8(magnitude / divisor))
                magnitude %= divisor
                divisor /= 10
            } while divisor > 0
        }

        /// `"\(date)"`: `YYYY-MM-DD`.
        mutating func add(_ date: LocalDate) {
            // Parsed days have four-digit years; any other is hashed as `description` writes it.
            guard (1...9999).contains(date.year) else { return add(date.description.utf8) }
            add(digits: date.year, count: 4)
            add(UInt8(ascii: "-"))
            add(digits: date.month, count: 2)
            add(UInt8(ascii: "-"))
            add(digits: date.day, count: 2)
        }

        /// The value as 16 lowercase hex digits, after `prefix`.
        func hex(prefix: String = "") -> String {
            let prefixLength = prefix.utf8.count
            return String(unsafeUninitializedCapacity: prefixLength + 16) { buffer in
                for (index, byte) in prefix.utf8.enumerated() { buffer[index] = byte }
                for index in 0..<16 {
                    let nibble = UInt8((value >> (60 - 4 * UInt64(index))) & 0xF)
                    buffer[prefixLength + index] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
                }
                return prefixLength + 16
            }
        }

        /// The last `count` digits of `number`, zero-padded.
        private mutating func add(digits number: Int, count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                add(UInt8(ascii: "0") + UInt8(number / divisor % 10))
                divisor /= 10
            }
        }
    }
}
