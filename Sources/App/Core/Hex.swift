/// Bytes as lowercase hexadecimal, two digits a byte. Foundation's `String(format: "%02x")` costs
/// microseconds a byte on Linux, which the entity tag of every cached read paid forty times over.
extension Sequence where Element == UInt8 {
    var hex: String {
        var digits: [UInt8] = []
        digits.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            digits.append(hexDigits[Int(byte >> 4)])
            digits.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: digits, as: UTF8.self)
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)
