import Foundation

/// JSON as the simulator writes it. Keys keep the order given and nulls are written out (Plaid's
/// required-but-nullable keys must be present, which `JSONEncoder` would drop); numbers are exact
/// decimal text; `raw` splices pre-encoded JSON for the hot paths.
indirect enum JSONValue: Sendable, ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral, ExpressibleByStringLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral {
    case null
    case bool(Bool)
    case int(Int)
    /// A JSON number already written as decimal text (`-12.5`).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])
    /// Compact JSON bytes, written as they are.
    case raw([UInt8])

    init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
    init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    init(stringLiteral value: String) { self = .string(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(integerLiteral value: Int) { self = .int(value) }

    /// A string, or null.
    static func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    /// An amount held in cents, as a number with at most two decimal places.
    static func cents(_ cents: Int64) -> JSONValue { .number(formatCents(cents)) }

    static func cents(_ cents: Int64?) -> JSONValue { cents.map { .number(formatCents($0)) } ?? .null }

    /// An exact decimal (prices, quantities) as its plain digits.
    static func decimal(_ value: Decimal) -> JSONValue { .number(value.description) }

    static func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }

    /// This object with one more member at the end.
    func adding(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(let members) = self else { return self }
        return .object(members + [(key, value)])
    }
}

/// `1234` → "12.34", `-5` → "-0.05", `1200` → "12": cents as a JSON number, no binary float involved.
func formatCents(_ cents: Int64) -> String {
    let magnitude = cents.magnitude
    let whole = magnitude / 100
    let fraction = magnitude % 100
    let sign = cents < 0 ? "-" : ""
    if fraction == 0 { return "\(sign)\(whole)" }
    if fraction % 10 == 0 { return "\(sign)\(whole).\(fraction / 10)" }
    return "\(sign)\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
}

/// Writes `JSONValue`s as UTF-8: compact for API answers, indented by two spaces for webhook bodies (as Plaid sends them).
struct JSONWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    static func compact(_ value: JSONValue) -> [UInt8] {
        var writer = JSONWriter()
        writer.write(value)
        return writer.bytes
    }

    static func pretty(_ value: JSONValue) -> [UInt8] {
        var writer = JSONWriter()
        writer.writePretty(value, level: 0)
        return writer.bytes
    }

    mutating func literal(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }

    mutating func cents(_ cents: Int64) { bytes.append(contentsOf: formatCents(cents).utf8) }

    /// A quoted, escaped string.
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var needsEscaping = false
        for byte in text.utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            needsEscaping = true
            break
        }
        if !needsEscaping {
            bytes.append(contentsOf: text.utf8)
        } else {
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\""): literal("\\\"")
                case UInt8(ascii: "\\"): literal("\\\\")
                case UInt8(ascii: "\n"): literal("\\n")
                case UInt8(ascii: "\r"): literal("\\r")
                case UInt8(ascii: "\t"): literal("\\t")
                case ..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    literal("\\u00")
                    bytes.append(hex[Int(byte >> 4)])
                    bytes.append(hex[Int(byte & 0xF)])
                default: bytes.append(byte)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: literal("null")
        case .bool(let flag): flag ? literal("true") : literal("false")
        case .int(let number): bytes.append(contentsOf: String(number).utf8)
        case .number(let text): bytes.append(contentsOf: text.utf8)
        case .string(let text): string(text)
        case .raw(let raw): bytes.append(contentsOf: raw)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                write(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (index, (key, element)) in members.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                string(key)
                bytes.append(UInt8(ascii: ":"))
                write(element)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    mutating func writePretty(_ value: JSONValue, level: Int) {
        func newline(_ level: Int) {
            bytes.append(UInt8(ascii: "\n"))
            bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: level * 2))
        }
        switch value {
        case .array(let elements) where !elements.isEmpty:
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(level + 1)
                writePretty(element, level: level + 1)
            }
            newline(level)
            bytes.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            bytes.append(UInt8(ascii: "{"))
            for (index, (key, element)) in members.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(level + 1)
                string(key)
                literal(": ")
                writePretty(element, level: level + 1)
            }
            newline(level)
            bytes.append(UInt8(ascii: "}"))
        default:
            write(value)
        }
    }
}

/// A request body as read: any JSON, with numbers kept apart from booleans.
enum JSONInput: Decodable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONInput])
    case object([String: JSONInput])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Int.self) {
            self = .int(number)
        } else if let number = try? container.decode(Double.self) {
            self = .double(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let elements = try? container.decode([JSONInput].self) {
            self = .array(elements)
        } else {
            self = .object(try container.decode([String: JSONInput].self))
        }
    }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// The fields of a request body (or of one of its objects), read with Plaid's INVALID_REQUEST answers:
/// a missing required field is MISSING_FIELDS naming it; a wrong type is INVALID_FIELD naming the field.
struct RequestFields: Sendable {
    let values: [String: JSONInput]
    /// `options.` for the fields of `options`: error messages name the full path.
    let prefix: String

    init(_ values: [String: JSONInput], prefix: String = "") {
        self.values = values
        self.prefix = prefix
    }

    /// Parses a body: empty means `{}`; anything but a JSON object is INVALID_BODY.
    static func parse(_ data: Data?) throws(PlaidFailure) -> RequestFields {
        guard let data, !data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return RequestFields([:]) }
        let input: JSONInput
        do { input = try JSONDecoder().decode(JSONInput.self, from: data) } catch {
            throw .invalidBody("the request body could not be parsed as JSON")
        }
        guard case .object(let values) = input else { throw .invalidBody("the request body must be a JSON object") }
        return RequestFields(values)
    }

    private func present(_ key: String) -> JSONInput? {
        guard let value = values[key] else { return nil }
        if case .null = value { return nil }
        return value
    }

    func requiredString(_ key: String) throws(PlaidFailure) -> String {
        guard let text = try string(key) else { throw .missingFields([prefix + key]) }
        guard !text.isEmpty else { throw .invalidField("\(prefix + key) must be a non-empty string") }
        return text
    }

    func string(_ key: String) throws(PlaidFailure) -> String? {
        guard let value = present(key) else { return nil }
        guard case .string(let text) = value else { throw .invalidField("\(prefix + key) must be a string, not \(value.typeName)") }
        return text
    }

    func int(_ key: String) throws(PlaidFailure) -> Int? {
        guard let value = present(key) else { return nil }
        switch value {
        case .int(let number): return number
        case .double(let number) where number == number.rounded() && abs(number) < 1e15: return Int(number)
        default: throw .invalidField("\(prefix + key) must be an integer, not \(value.typeName)")
        }
    }

    func bool(_ key: String) throws(PlaidFailure) -> Bool? {
        guard let value = present(key) else { return nil }
        guard case .bool(let flag) = value else { throw .invalidField("\(prefix + key) must be a boolean, not \(value.typeName)") }
        return flag
    }

    func stringArray(_ key: String) throws(PlaidFailure) -> [String]? {
        guard let value = present(key) else { return nil }
        guard case .array(let elements) = value else { throw .invalidField("\(prefix + key) must be an array of strings, not \(value.typeName)") }
        var strings: [String] = []
        for element in elements {
            guard case .string(let text) = element else { throw .invalidField("\(prefix + key) must be an array of strings") }
            strings.append(text)
        }
        return strings
    }

    func requiredStringArray(_ key: String) throws(PlaidFailure) -> [String] {
        guard let strings = try stringArray(key) else { throw .missingFields([prefix + key]) }
        return strings
    }

    func object(_ key: String) throws(PlaidFailure) -> RequestFields? {
        guard let value = present(key) else { return nil }
        guard case .object(let members) = value else { throw .invalidField("\(prefix + key) must be an object, not \(value.typeName)") }
        return RequestFields(members, prefix: prefix + key + ".")
    }

    func requiredDay(_ key: String) throws(PlaidFailure) -> Day {
        let text = try requiredString(key)
        guard let day = Day(iso: text) else { throw .invalidField("\(prefix + key) must be a date in the format YYYY-MM-DD") }
        return day
    }
}
