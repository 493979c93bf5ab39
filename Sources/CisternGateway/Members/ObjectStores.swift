import AsyncHTTPClient
import CisternCore
import CisternProviders
import NIOCore

/// The object store for each member, by its bucket's provider.
struct ObjectStores: Sendable {
    let s3: S3Provider
    let gcs: GCSObjects

    init(http: HTTPClient, gcsTokenURL: String?) {
        self.s3 = S3Provider(http: http)
        self.gcs = GCSObjects(GCSProvider(http: http, tokenURL: gcsTokenURL))
    }

    /// The store for `connection`'s bucket, each request bounded by `timeout`.
    func store(for connection: BucketConnection, timeout: TimeAmount) throws(S3Error) -> any ObjectStore {
        switch connection.storageType {
        case .s3:
            return S3ObjectStore(provider: self.s3, connection: connection, timeout: timeout)
        case .gcs where GCSProvider.isHMAC(connection):
            return S3ObjectStore(provider: self.s3, connection: GCSProvider.xmlAPI(connection), timeout: timeout)
        case .gcs:
            return GCSObjectStore(objects: self.gcs, connection: connection, timeout: timeout)
        case .blob:
            throw S3Error("NotImplemented", "Members at \(connection.storageType.rawValue) are not served by this gateway yet.", status: 501)
        }
    }
}
