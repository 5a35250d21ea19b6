import FinanceCore

/// CSV exports shaped like the ones banks hand out. Line numbers in the tests refer to these texts:
/// the first line after the opening `"""` is line 1.
enum CSVFixtures {
    /// A German bank's export as Excel saves it: a UTF-8 byte order mark, `;` between fields, days as
    /// DD.MM.YYYY, decimal commas with thousands points, and a `;` inside a quoted purpose.
    static let germanGiro = """
    \u{FEFF}Buchungstag;Valutadatum;Empfänger;Verwendungszweck;Betrag;Währung
    31.01.2024;31.01.2024;Hausverwaltung Schmidt;Miete Februar;-1.234,56;EUR
    30.01.2024;30.01.2024;REWE Markt GmbH;"REWE SAGT DANKE; 12345";-23,45;EUR
    15.01.2024;15.01.2024;ACME GmbH;Gehalt Januar 2024;3.500,00;EUR
    02.01.2024;02.01.2024;;Kontoführungsgebühr;-4,95;EUR
    """

    static let germanGiroMapping = CSVMapping(
        date: "Buchungstag",
        amount: "Betrag",
        description: "Verwendungszweck",
        merchant: "Empfänger",
        dateFormat: .dayMonthYear,
        decimalSeparator: .comma
    )

    /// A US credit union's export: MM/DD/YYYY, separate debit and credit columns, quoted fields with
    /// commas and doubled quotes, a dollar sign, and a category column that only sometimes holds one of ours.
    static let usCreditUnion = #"""
    Date,Description,Debit,Credit,Category
    01/05/2024,"STARBUCKS STORE #1234, SEATTLE WA",4.75,,FOOD_AND_DRINK
    01/06/2024,PAYROLL DEPOSIT ACME INC,,"2,500.00",income
    01/07/2024,"AMAZON.COM*RT4YU ""PRIME""",$89.99,,Shopping
    1/8/2024,ATM WITHDRAWAL,-60.00,,
    01/31/2024,INTEREST EARNED,0.00,0.12,
    """#

    static let usCreditUnionMapping = CSVMapping(
        date: "Date",
        debit: "Debit",
        credit: "Credit",
        description: "Description",
        category: "Category",
        dateFormat: .monthDayYear
    )

    /// Quoted fields holding line breaks, commas and quotes: the second record starts on line 4.
    static let multiLineDescriptions = """
    Date,Description,Amount
    2024-03-01,"Transfer to savings
    Ref: 2024-03-01-001",-100.00
    2024-03-02,"Restaurant ""Chez Marie"", Paris",-57.30
    2024-03-03,Refund,"1,000.00"
    """

    /// Two real coffees bought on the same day for the same price, a third written with different letter
    /// case and spacing, and one more the next day.
    static let coffees = """
    Date,Description,Amount
    2024-04-02,Coffee Shop,-3.50
    2024-04-02,Coffee Shop,-3.50
    2024-04-02,  coffee shop ,-3.50
    2024-04-03,Coffee Shop,-3.50
    """

    static let isoMapping = CSVMapping(date: "Date", amount: "Amount", description: "Description")
}
