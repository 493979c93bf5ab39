/// The API a bucket's provider speaks (and, for a repository, the API its endpoint speaks).
public enum StorageType: String, Sendable, Codable, CaseIterable {
    case s3 = "S3"
    case gcs = "GCS"
    /// Azure Blob Storage. The input `AZURE` is accepted as this.
    case blob = "BLOB"

    /// Parses the wire value, accepting `AZURE` for `BLOB` and any letter case.
    public init?(wire value: String) {
        switch value.uppercased() {
        case "S3": self = .s3
        case "GCS": self = .gcs
        case "BLOB", "AZURE": self = .blob
        default: return nil
        }
    }
}
