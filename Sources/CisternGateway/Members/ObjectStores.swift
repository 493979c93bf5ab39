import AsyncHTTPClient
import CisternCore
import CisternProviders
import NIOCore

/// The object store for each member, by its bucket's provider.
struct ObjectStores: Sendable {
    let http: HTTPClient
    let s3: S3Provider
    let gcs: GCSObjects

    init(http: HTTPClient, gcsTokenURL: String?) {
        self.http = http
        self.s3 = S3Provider(http: http)
        self.gcs = GCSObjects(GCSProvider(http: http, tokenURL: gcsTokenURL))
    }

    /// The store for `connection`'s bucket, each request bounded by `timeout`.
    func store(for connection: BucketConnection, timeout: TimeAmount) -> any ObjectStore {
        switch connection.storageType {
        case .s3:
            return S3ObjectStore(provider: self.s3, connection: connection, timeout: timeout)
        case .gcs where GCSProvider.isHMAC(connection):
            return S3ObjectStore(provider: self.s3, connection: GCSProvider.xmlAPI(connection), timeout: timeout)
        case .gcs:
            return GCSObjectStore(objects: self.gcs, connection: connection, timeout: timeout)
        case .blob:
            return AzureObjectStore(http: self.http, connection: connection, timeout: timeout)
        }
    }
}
