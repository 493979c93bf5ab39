extension String {
    /// What a client sent, kept as printable text for logs and records: control characters (NUL
    /// among them) dropped, at most `limit` characters.
    func printable(limit: Int) -> String {
        String(String.UnicodeScalarView(self.unicodeScalars.filter { $0.properties.generalCategory != .control }).prefix(limit))
    }
}
