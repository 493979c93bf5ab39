extension Duration {
    /// The whole duration in nanoseconds (metrics, leases, deadlines).
    public var nanoseconds: Int64 {
        self.components.seconds * 1_000_000_000 + self.components.attoseconds / 1_000_000_000
    }
}
