import FinanceCore
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation

// How the domain's exact types are stored. PostgreSQL: `numeric(precision, scale)` and `date`.
// SQLite: an INTEGER count of 10^-scale units (exact, and summable in SQL) and ISO 8601 TEXT dates.

extension FixedDecimal: SQLiteDataConvertible {
    public init?(sqliteData: SQLiteData) {
        guard case .integer(let units) = sqliteData else { return nil }
        self.init(units: Int64(units))
    }

    public var sqliteData: SQLiteData? { .integer(Int(units)) }
}

extension FixedDecimal: PostgresEncodable, PostgresNonThrowingEncodable, PostgresDecodable {
    public static var psqlType: PostgresDataType { .numeric }
    public static var psqlFormat: PostgresFormat { .text }

    public func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeString(description)
    }

    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        switch (format, type) {
        case (.binary, .numeric):
            guard let units = PostgresNumericUnits.read(from: &buffer, scale: Format.scale),
                  let value = Self(units: units) else { throw PostgresDecodingError.Code.failure }
            self = value
        case (.binary, .int8):
            guard let integer = buffer.readInteger(as: Int64.self), let value = Self(Int(integer)) else {
                throw PostgresDecodingError.Code.failure
            }
            self = value
        case (.text, _):
            guard let text = buffer.readString(length: buffer.readableBytes), let value = try? Self(parsing: text) else {
                throw PostgresDecodingError.Code.failure
            }
            self = value
        default:
            throw PostgresDecodingError.Code.typeMismatch
        }
    }
}

/// Reads PostgreSQL's binary `numeric` (base-10000 digits) straight into integer units,
/// refusing NaN, infinities and values with more fraction digits than the scale keeps.
enum PostgresNumericUnits {
    static func read(from buffer: inout ByteBuffer, scale: Int) -> Int64? {
        guard let digitCount = buffer.readInteger(as: Int16.self),
              let weight = buffer.readInteger(as: Int16.self),
              let sign = buffer.readInteger(as: UInt16.self),
              buffer.readInteger(as: Int16.self) != nil, // display scale
              sign == 0x0000 || sign == 0x4000 else { return nil }
        var units: Int128 = 0
        for index in 0..<Int(digitCount) {
            guard let digit = buffer.readInteger(as: Int16.self) else { return nil }
            // This digit is worth 10000^(weight - index); in units that is 10^(4·(weight - index) + scale).
            let exponent = 4 * (Int(weight) - index) + scale
            if exponent >= 0 {
                guard exponent <= 36 else { return nil }
                units += Int128(digit) * power(exponent)
            } else {
                let divisor = power(-exponent)
                guard Int128(digit) % divisor == 0 else { return nil }
                units += Int128(digit) / divisor
            }
        }
        if sign == 0x4000 { units = -units }
        return Int64(exactly: units)
    }

    private static func power(_ exponent: Int) -> Int128 {
        var result: Int128 = 1
        for _ in 0..<exponent { result *= 10 }
        return result
    }
}

/// SQLite keeps UUIDs as 16-byte BLOBs: half the size of their text, and compared with one short
/// memcmp in every index that starts with an owner or an account.
extension UUID: @retroactive SQLiteDataConvertible {
    public init?(sqliteData: SQLiteData) {
        switch sqliteData {
        case .blob(var buffer):
            guard buffer.readableBytes == 16, let bytes = buffer.readBytes(length: 16) else { return nil }
            self = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        case .text(let text):
            guard let uuid = UUID(uuidString: text) else { return nil }
            self = uuid
        default:
            return nil
        }
    }

    public var sqliteData: SQLiteData? { sqliteBlob }

    var sqliteBlob: SQLiteData {
        let u = uuid
        var buffer = ByteBufferAllocator().buffer(capacity: 16)
        buffer.writeBytes([u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15])
        return .blob(buffer)
    }
}

extension LocalDate: SQLiteDataConvertible {
    public init?(sqliteData: SQLiteData) {
        guard case .text(let text) = sqliteData else { return nil }
        self.init(iso8601: text)
    }

    public var sqliteData: SQLiteData? { .text(description) }
}

extension LocalDate: PostgresEncodable, PostgresNonThrowingEncodable, PostgresDecodable {
    /// PostgreSQL counts `date` in days from 2000-01-01.
    private static let postgresEpochOffset = 10_957

    public static var psqlType: PostgresDataType { .date }
    public static var psqlFormat: PostgresFormat { .binary }

    public func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeInteger(Int32(daysSinceEpoch - Self.postgresEpochOffset))
    }

    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        switch (format, type) {
        case (.binary, .date):
            guard let days = buffer.readInteger(as: Int32.self) else { throw PostgresDecodingError.Code.failure }
            self.init(daysSinceEpoch: Int(days) + Self.postgresEpochOffset)
        case (.text, _):
            guard let text = buffer.readString(length: buffer.readableBytes), let date = LocalDate(iso8601: text) else {
                throw PostgresDecodingError.Code.failure
            }
            self = date
        default:
            throw PostgresDecodingError.Code.typeMismatch
        }
    }
}

extension CurrencyCode: SQLiteDataConvertible {
    public init?(sqliteData: SQLiteData) {
        guard case .text(let text) = sqliteData else { return nil }
        self.init(storedCode: text)
    }

    public var sqliteData: SQLiteData? { .text(code) }
}

extension CurrencyCode: PostgresEncodable, PostgresNonThrowingEncodable, PostgresDecodable {
    public static var psqlType: PostgresDataType { .text }
    public static var psqlFormat: PostgresFormat { .binary }

    public func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeString(code)
    }

    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard let text = buffer.readString(length: buffer.readableBytes), let code = CurrencyCode(storedCode: text) else {
            throw PostgresDecodingError.Code.failure
        }
        self = code
    }
}

extension SQLRow {
    /// A column of an enum type, read as its label: a label outside the known set is an error, not a default.
    func decodeLabel<Label: RawRepresentable>(column: String, as _: Label.Type) throws -> Label where Label.RawValue == String {
        guard let label = Label(rawValue: try decode(column: column, as: String.self)) else {
            throw TransactionRecord.LedgerReadError.unknownLabel
        }
        return label
    }
}
