/// Where an in-store purchase happened: Plaid's `location` object.
struct StoreLocation: Sendable {
    let address: String
    let city: String
    let region: String
    let postalCode: String
    let storeNumber: String?
    let lat: String
    let lon: String
}

/// Who a transaction is with and how Plaid describes it. Its JSON members are encoded once, so a
/// transaction's JSON is a few ids, dates and an amount around this fragment.
final class Merchant: Sendable {
    let name: String
    let merchantName: String?
    let primary: String
    let detailed: String
    let confidence: String
    let channel: String
    let website: String?
    let location: StoreLocation?
    let paymentMeta: [(String, String)]
    /// `"location":{…},…,"website":…` without the braces.
    let fragment: [UInt8]

    init(name: String, merchantName: String?, detailed: String, confidence: String = "VERY_HIGH", channel: String,
         website: String? = nil, location: StoreLocation? = nil, paymentMeta: [(String, String)] = []) {
        self.name = name
        self.merchantName = merchantName
        self.detailed = detailed
        self.primary = Merchant.primary(of: detailed)
        self.confidence = confidence
        self.channel = channel
        self.website = website
        self.location = location
        self.paymentMeta = paymentMeta
        let meta = Dictionary(paymentMeta, uniquingKeysWith: { first, _ in first })
        let members: JSONValue = [
            "location": [
                "address": .text(location?.address),
                "city": .text(location?.city),
                "region": .text(location?.region),
                "postal_code": .text(location?.postalCode),
                "country": .text(location == nil ? nil : "US"),
                "lat": location.map { .number($0.lat) } ?? .null,
                "lon": location.map { .number($0.lon) } ?? .null,
                "store_number": .text(location?.storeNumber),
            ],
            "logo_url": .null,
            "merchant_entity_id": .null,
            "merchant_name": .text(merchantName),
            "name": .string(name),
            "payment_channel": .string(channel),
            "payment_meta": .object(["reference_number", "ppd_id", "payee", "by_order_of", "payer", "payment_method", "payment_processor", "reason"]
                .map { ($0, JSONValue.text(meta[$0])) }),
            "personal_finance_category": [
                "primary": .string(primary),
                "detailed": .string(detailed),
                "confidence_level": .string(confidence),
                "version": "v2",
            ],
            "personal_finance_category_icon_url": .string("https://plaid-category-icons.plaid.com/PFC_\(primary).png"),
            "website": .text(website),
        ]
        let bytes = JSONWriter.compact(members)
        fragment = Array(bytes.dropFirst().dropLast())
    }

    /// The same merchant under another description, as a bank's corrected record reads.
    func renamed(_ newName: String) -> Merchant {
        Merchant(name: newName, merchantName: merchantName, detailed: detailed, confidence: confidence, channel: channel,
                 website: website, location: location, paymentMeta: paymentMeta)
    }

    /// A detailed category starts with its primary (`FOOD_AND_DRINK_GROCERIES` → `FOOD_AND_DRINK`).
    private static func primary(of detailed: String) -> String {
        let primaries = ["INCOME", "TRANSFER_IN", "TRANSFER_OUT", "LOAN_PAYMENTS", "LOAN_DISBURSEMENTS", "BANK_FEES", "ENTERTAINMENT",
                         "FOOD_AND_DRINK", "GENERAL_MERCHANDISE", "HOME_IMPROVEMENT", "MEDICAL", "PERSONAL_CARE", "GENERAL_SERVICES",
                         "GOVERNMENT_AND_NON_PROFIT", "TRANSPORTATION", "TRAVEL", "RENT_AND_UTILITIES", "OTHER"]
        return primaries.filter { detailed.hasPrefix($0 + "_") }.max(by: { $0.count < $1.count }) ?? "OTHER"
    }
}

/// An everyday purchase the history draws from: who, how much, and how likely it is paid by credit card.
struct SpendingPattern: Sendable {
    let merchant: Merchant
    /// Plaid's sign: positive is money out; a refund's range is negative.
    let cents: ClosedRange<Int64>
    /// Percent of purchases paid with the credit card rather than the checking account's debit card.
    let cardPercent: Int
    let weight: Int
}

/// The merchants of the simulated household: everyday spending and the recurring bills, pay and transfers.
enum Merchants {
    private static func store(_ address: String, _ city: String, _ postal: String, _ number: String?, _ lat: String, _ lon: String) -> StoreLocation {
        StoreLocation(address: address, city: city, region: "CA", postalCode: postal, storeNumber: number, lat: lat, lon: lon)
    }

    static let amazon = Merchant(name: "Amazon.com", merchantName: "Amazon", detailed: "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES",
                                 channel: "online", website: "amazon.com")

    static let spending: [SpendingPattern] = [
        SpendingPattern(merchant: Merchant(name: "Whole Foods Market", merchantName: "Whole Foods Market", detailed: "FOOD_AND_DRINK_GROCERIES",
                                           channel: "in store", website: "wholefoodsmarket.com",
                                           location: store("1765 California St", "San Francisco", "94109", "10236", "37.7906", "-122.4233")),
                        cents: 2_500...18_000, cardPercent: 50, weight: 14),
        SpendingPattern(merchant: Merchant(name: "Trader Joe's", merchantName: "Trader Joe's", detailed: "FOOD_AND_DRINK_GROCERIES",
                                           channel: "in store", website: "traderjoes.com",
                                           location: store("401 Bay St", "San Francisco", "94133", "236", "37.8053", "-122.4140")),
                        cents: 2_000...12_000, cardPercent: 40, weight: 10),
        SpendingPattern(merchant: Merchant(name: "Safeway", merchantName: "Safeway", detailed: "FOOD_AND_DRINK_GROCERIES", channel: "in store",
                                           website: "safeway.com", location: store("2020 Market St", "San Francisco", "94114", "995", "37.7688", "-122.4277")),
                        cents: 1_500...14_000, cardPercent: 30, weight: 8),
        SpendingPattern(merchant: Merchant(name: "Starbucks", merchantName: "Starbucks", detailed: "FOOD_AND_DRINK_COFFEE", channel: "in store",
                                           website: "starbucks.com", location: store("201 Powell St", "San Francisco", "94102", "8213", "37.7867", "-122.4080")),
                        cents: 425...980, cardPercent: 60, weight: 14),
        SpendingPattern(merchant: Merchant(name: "Blue Bottle Coffee", merchantName: "Blue Bottle Coffee", detailed: "FOOD_AND_DRINK_COFFEE",
                                           channel: "in store", website: "bluebottlecoffee.com",
                                           location: store("66 Mint St", "San Francisco", "94103", nil, "37.7823", "-122.4072")),
                        cents: 400...850, cardPercent: 50, weight: 5),
        SpendingPattern(merchant: Merchant(name: "Chipotle Mexican Grill", merchantName: "Chipotle Mexican Grill", detailed: "FOOD_AND_DRINK_FAST_FOOD",
                                           channel: "in store", website: "chipotle.com",
                                           location: store("2 Stockton St", "San Francisco", "94108", "1483", "37.7855", "-122.4063")),
                        cents: 900...2_200, cardPercent: 60, weight: 7),
        SpendingPattern(merchant: Merchant(name: "McDonald's", merchantName: "McDonald's", detailed: "FOOD_AND_DRINK_FAST_FOOD", channel: "in store",
                                           website: "mcdonalds.com", location: store("441 Sutter St", "San Francisco", "94108", "3117", "37.7895", "-122.4083")),
                        cents: 600...1_500, cardPercent: 50, weight: 5),
        SpendingPattern(merchant: Merchant(name: "Sweetgreen", merchantName: "Sweetgreen", detailed: "FOOD_AND_DRINK_RESTAURANT", channel: "in store",
                                           website: "sweetgreen.com", location: store("171 2nd St", "San Francisco", "94105", nil, "37.7871", "-122.3982")),
                        cents: 1_200...1_900, cardPercent: 70, weight: 5),
        // A small restaurant Plaid could not match to a merchant: no merchant_name, a raw descriptor, medium confidence.
        SpendingPattern(merchant: Merchant(name: "SQ *GOLDEN DRAGON RESTAURANT", merchantName: nil, detailed: "FOOD_AND_DRINK_RESTAURANT",
                                           confidence: "MEDIUM", channel: "in store",
                                           location: store("816 Washington St", "San Francisco", "94108", nil, "37.7952", "-122.4066"),
                                           paymentMeta: [("payment_processor", "Square")]),
                        cents: 2_500...9_000, cardPercent: 80, weight: 4),
        SpendingPattern(merchant: Merchant(name: "Shell", merchantName: "Shell", detailed: "TRANSPORTATION_GAS", channel: "in store", website: "shell.com",
                                           location: store("1298 Howard St", "San Francisco", "94103", "57442", "37.7757", "-122.4125")),
                        cents: 3_000...7_500, cardPercent: 60, weight: 7),
        SpendingPattern(merchant: Merchant(name: "Chevron", merchantName: "Chevron", detailed: "TRANSPORTATION_GAS", channel: "in store",
                                           website: "chevron.com", location: store("1000 Harrison St", "San Francisco", "94107", "90263", "37.7768", "-122.4036")),
                        cents: 2_800...7_000, cardPercent: 60, weight: 5),
        SpendingPattern(merchant: Merchant(name: "Uber 063015 SF**POOL**", merchantName: "Uber", detailed: "TRANSPORTATION_TAXIS_AND_RIDE_SHARES",
                                           channel: "online", website: "uber.com"),
                        cents: 900...4_800, cardPercent: 90, weight: 6),
        SpendingPattern(merchant: amazon, cents: 1_200...18_000, cardPercent: 85, weight: 9),
        SpendingPattern(merchant: Merchant(name: "Target", merchantName: "Target", detailed: "GENERAL_MERCHANDISE_SUPERSTORES", channel: "in store",
                                           website: "target.com", location: store("789 Mission St", "San Francisco", "94103", "2766", "37.7842", "-122.4037")),
                        cents: 1_500...16_000, cardPercent: 60, weight: 6),
        SpendingPattern(merchant: Merchant(name: "CVS Pharmacy", merchantName: "CVS", detailed: "MEDICAL_PHARMACIES_AND_SUPPLEMENTS", channel: "in store",
                                           website: "cvs.com", location: store("731 Market St", "San Francisco", "94103", "9601", "37.7869", "-122.4035")),
                        cents: 800...6_000, cardPercent: 50, weight: 4),
        SpendingPattern(merchant: Merchant(name: "AMC Metreon 16", merchantName: "AMC Theatres", detailed: "ENTERTAINMENT_TV_AND_MOVIES", channel: "in store",
                                           website: "amctheatres.com", location: store("135 4th St", "San Francisco", "94103", nil, "37.7841", "-122.4032")),
                        cents: 1_500...4_500, cardPercent: 80, weight: 2),
        SpendingPattern(merchant: Merchant(name: "The Home Depot", merchantName: "The Home Depot", detailed: "HOME_IMPROVEMENT_HARDWARE", channel: "in store",
                                           website: "homedepot.com", location: store("2 Colma Blvd", "Colma", "94014", "6971", "37.6766", "-122.4651")),
                        cents: 2_000...25_000, cardPercent: 70, weight: 3),
        SpendingPattern(merchant: Merchant(name: "Great Clips", merchantName: "Great Clips", detailed: "PERSONAL_CARE_HAIR_AND_BEAUTY", channel: "in store",
                                           website: "greatclips.com", location: store("2675 Geary Blvd", "San Francisco", "94118", nil, "37.7822", "-122.4478")),
                        cents: 2_200...4_000, cardPercent: 40, weight: 2),
        SpendingPattern(merchant: Merchant(name: "United Airlines", merchantName: "United Airlines", detailed: "TRAVEL_FLIGHTS", channel: "online",
                                           website: "united.com"),
                        cents: 18_000...65_000, cardPercent: 100, weight: 1),
        SpendingPattern(merchant: Merchant(name: "ATM Withdrawal Fee", merchantName: nil, detailed: "BANK_FEES_ATM_FEES", confidence: "HIGH", channel: "other"),
                        cents: 250...350, cardPercent: 0, weight: 1),
        // Returns come back to the card they were paid with: money in, so a negative amount.
        SpendingPattern(merchant: amazon, cents: -12_000 ... -1_200, cardPercent: 90, weight: 2),
    ]

    static let spendingWeight = spending.reduce(0) { $0 + $1.weight }

    /// The three everyday patterns pending transactions are drawn from.
    static let restaurant = spending[7]
    static let gas = spending[9]
    static let groceries = spending[0]
    static let coffee = spending[3]

    static let payroll = Merchant(name: "ACME CORP PAYROLL PPD ID: 9876543210", merchantName: nil, detailed: "INCOME_SALARY", channel: "other",
                                  paymentMeta: [("ppd_id", "9876543210"), ("payer", "Acme Corp"), ("payment_method", "ACH")])
    static let mortgage = Merchant(name: "ROCKET MORTGAGE PAYMENT", merchantName: "Rocket Mortgage", detailed: "LOAN_PAYMENTS_MORTGAGE_PAYMENT",
                                   channel: "other", website: "rocketmortgage.com", paymentMeta: [("payee", "Rocket Mortgage"), ("payment_method", "ACH")])
    static let electricity = Merchant(name: "PGANDE WEB ONLINE", merchantName: "Pacific Gas and Electric", detailed: "RENT_AND_UTILITIES_GAS_AND_ELECTRICITY",
                                      channel: "online", website: "pge.com")
    static let internet = Merchant(name: "Comcast Xfinity", merchantName: "Comcast", detailed: "RENT_AND_UTILITIES_INTERNET_AND_CABLE",
                                   channel: "online", website: "xfinity.com")
    static let phone = Merchant(name: "Verizon Wireless", merchantName: "Verizon", detailed: "RENT_AND_UTILITIES_TELEPHONE", channel: "online",
                                website: "verizon.com")
    static let netflix = Merchant(name: "Netflix.com", merchantName: "Netflix", detailed: "ENTERTAINMENT_TV_AND_MOVIES", channel: "online",
                                  website: "netflix.com")
    static let spotify = Merchant(name: "Spotify USA", merchantName: "Spotify", detailed: "ENTERTAINMENT_MUSIC_AND_AUDIO", channel: "online",
                                  website: "spotify.com")
    static let gym = Merchant(name: "PLANET FITNESS CLUB FEES", merchantName: "Planet Fitness", detailed: "PERSONAL_CARE_GYMS_AND_FITNESS_CENTERS",
                              channel: "other", website: "planetfitness.com")
    static let transferToSavings = Merchant(name: "Online Transfer to Plaid Saving", merchantName: nil, detailed: "TRANSFER_OUT_SAVINGS",
                                            confidence: "HIGH", channel: "other", paymentMeta: [("payment_method", "Online Transfer")])
    static let transferFromChecking = Merchant(name: "Online Transfer from Plaid Checking", merchantName: nil, detailed: "TRANSFER_IN_ACCOUNT_TRANSFER",
                                               confidence: "HIGH", channel: "other", paymentMeta: [("payment_method", "Online Transfer")])
    static let cardPaymentSent = Merchant(name: "Payment to Plaid Credit Card", merchantName: nil, detailed: "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
                                          confidence: "HIGH", channel: "other", paymentMeta: [("payment_method", "ACH")])
    static let cardPaymentReceived = Merchant(name: "Payment Received - Thank You", merchantName: nil, detailed: "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
                                              confidence: "HIGH", channel: "other")
    static let interest = Merchant(name: "Interest Payment", merchantName: nil, detailed: "INCOME_INTEREST_EARNED", confidence: "HIGH", channel: "other")
}
