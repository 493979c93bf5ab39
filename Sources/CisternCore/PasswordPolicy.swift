/// The rule every account password must meet: at least 8 characters with an upper-case letter,
/// a lower-case letter and a digit.
public enum PasswordPolicy {
    public static let minimumLength = 8
    /// bcrypt reads at most 72 bytes; longer passwords would be silently truncated.
    public static let maximumBytes = 72

    /// The reason `password` is refused, or nil when it is acceptable.
    public static func problem(with password: String) -> String? {
        if password.count < minimumLength { return "must be at least \(minimumLength) characters" }
        if password.utf8.count > maximumBytes { return "must be at most \(maximumBytes) bytes" }
        if !password.contains(where: \.isUppercase) { return "must contain an upper-case letter" }
        if !password.contains(where: \.isLowercase) { return "must contain a lower-case letter" }
        if !password.contains(where: \.isNumber) { return "must contain a digit" }
        return nil
    }
}
