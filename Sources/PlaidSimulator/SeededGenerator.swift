/// SplitMix64: small, fast, and the same sequence on every platform for a given seed. Every id, amount
/// and date the simulator invents comes from one of these, never from the system's generator.
struct SeededGenerator: Sendable {
    private(set) var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// The SplitMix64 finalizer, also used to turn a counter into a well-spread number.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (bound > 0), by multiply-high: no modulo bias worth speaking of.
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    mutating func int(in range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

    mutating func cents(in range: ClosedRange<Int64>) -> Int64 {
        range.lowerBound + Int64(below(Int(range.upperBound - range.lowerBound) + 1))
    }

    /// True `percent` times in a hundred.
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    mutating func pick<Element>(_ elements: [Element]) -> Element { elements[below(elements.count)] }

    /// A child generator: the same parent state and salt always give the same child.
    mutating func derive(_ salt: UInt64) -> SeededGenerator { SeededGenerator(seed: Self.mix(next() ^ salt)) }

    private static let base62 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// An opaque base62 string, the shape of Plaid's item, account and transaction ids.
    mutating func token(length: Int = 37) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(length)
        var word: UInt64 = 0
        var left = 0
        for _ in 0..<length {
            // Ten base62 digits fit in 64 bits; draw a new word only when they are spent.
            if left == 0 {
                word = next()
                left = 10
            }
            bytes.append(Self.base62[Int(word % 62)])
            word /= 62
            left -= 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// A version-4 UUID in lowercase, as in Plaid's `public-sandbox-<uuid>` tokens.
    mutating func uuid() -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(36)
        let high = (next() & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let low = (next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        for nibble in 0..<32 {
            if nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20 { bytes.append(UInt8(ascii: "-")) }
            let word = nibble < 16 ? high : low
            let shift = UInt64(60 - (nibble % 16) * 4)
            bytes.append(Self.hex[Int((word >> shift) & 0xF)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
