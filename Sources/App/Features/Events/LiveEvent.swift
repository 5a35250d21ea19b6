import FinanceCore
import Foundation

/// One live event, as every stream sends it: `{"id", "type", "occurred_at", "data"}` (version 1 of
/// the shape). Ids increase per user; they are not consecutive.
struct LiveEvent: Sendable, Equatable {
    let id: Int64
    let type: String
    let occurredAt: Date
    /// The event's fields: a JSON object, as text.
    let data: String
    /// The event as one line of JSON, written once however many streams send it.
    let json: String

    init(id: Int64, type: String, occurredAt: Date, data: String) {
        self.id = id
        self.type = type
        self.occurredAt = occurredAt
        self.data = data
        self.json = #"{"data":\#(data),"id":\#(id),"occurred_at":"\#(Self.timestamp(occurredAt))","type":\#(JSONText.quoted(type))}"#
    }

    /// To the millisecond, written by hand (a general formatter cost 8% of a server's CPU delivering events).
    static func timestamp(_ date: Date) -> String {
        InstantText.format(date, milliseconds: true) ?? Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }

}

/// A field of an event's data.
enum EventValue: Sendable, Equatable, Encodable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case strings([String])

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .int(let number): try container.encode(number)
        case .bool(let flag): try container.encode(flag)
        case .strings(let texts): try container.encode(texts)
        }
    }
}

/// An event a unit of work emits; it gets its id and time when the unit commits it to the outbox.
struct PendingEvent: Sendable, Equatable {
    let type: String
    var data: [String: EventValue]

    init(_ type: String, _ data: [String: EventValue] = [:]) {
        self.type = type
        self.data = data
    }

    /// The data as a JSON object with sorted keys, written directly: it is written on every write
    /// to the ledger, where an encoder's reflection costs more than the row.
    var dataJSON: String {
        var text = "{"
        for (index, key) in data.keys.sorted().enumerated() {
            if index > 0 { text += "," }
            text += JSONText.quoted(key) + ":"
            switch data[key]! {
            case .string(let value): text += JSONText.quoted(value)
            case .int(let value): text += String(value)
            case .bool(let value): text += value ? "true" : "false"
            case .strings(let values): text += "[" + values.map(JSONText.quoted).joined(separator: ",") + "]"
            }
        }
        return text + "}"
    }
}

/// JSON text written by hand where it is on a hot path.
enum JSONText {
    /// `text` as a JSON string, escaped as RFC 8259 requires.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// The event types, and the events a unit of work's change summary makes.
enum EventTypes {
    static let transactions = "transactions.changed"
    static let balances = "balances.changed"
    static let accounts = "accounts.changed"
    static let portfolios = "portfolios.changed"
    static let prices = "prices.changed"
    static let rates = "rates.changed"
    static let rules = "rules.changed"
    static let connections = "connections.changed"
    static let profile = "profile.changed"
    static let data = "data.changed"
    static let importCompleted = "import.completed"
    static let syncCompleted = "sync.completed"
    static let syncFailed = "sync.failed"
    static let rulesApplied = "rules.applied"
    static let sessionEnded = "session.ended"
    /// Sent to a stream whose position is older than the outbox keeps: reload everything.
    static let resync = "resync"

    /// At most this many events per unit of work (its id is the data version times this).
    static let perUnit: Int64 = 16

    /// The event of a kind of data written that carries no fields of its own (nil: transactions and
    /// accounts, told with their fields, and kinds told only as `data.changed`).
    static func type(ofKind kind: String) -> String? {
        switch kind {
        case "portfolio", "portfolio_item", "investment", "investment_transaction": portfolios
        case "price": prices
        case "fx_rate": rates
        case "rule": rules
        case "connection": connections
        case "user": profile
        default: nil
        }
    }

    /// What a committed change summary tells the user's dashboards, then what the unit emitted itself.
    static func events(for summary: LedgerChangeSet.Summary, emitted: [PendingEvent]) -> [PendingEvent] {
        var events: [PendingEvent] = []
        let kinds = summary.kinds
        let accounts = EventValue.strings(summary.accounts.map(\.uuidString).sorted())
        if kinds.contains("transaction") {
            var data: [String: EventValue] = ["accounts": accounts, "every_day": .bool(summary.everyDay)]
            if let days = summary.days {
                data["from"] = .string(days.lowerBound.description)
                data["to"] = .string(days.upperBound.description)
            }
            events.append(PendingEvent(transactions, data))
        }
        if !summary.accounts.isEmpty { events.append(PendingEvent(balances, ["accounts": accounts])) }
        if kinds.contains("account") { events.append(PendingEvent(Self.accounts, ["accounts": accounts])) }
        let told = Set(kinds.compactMap(type(ofKind:)))
        for type in [portfolios, prices, rates, rules, connections, profile] where told.contains(type) { events.append(PendingEvent(type)) }
        let other = kinds.filter { !["transaction", "account"].contains($0) && type(ofKind: $0) == nil }
        if !other.isEmpty { events.append(PendingEvent(data, ["kinds": .strings(other.sorted())])) }
        events += emitted
        return Array(events.prefix(Int(perUnit)))
    }
}
