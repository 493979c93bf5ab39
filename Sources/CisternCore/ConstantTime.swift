/// Comparisons whose time does not depend on where two secrets first differ.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes; takes as long for any two texts of one length.
    public static func equal(_ a: String, _ b: String) -> Bool {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
