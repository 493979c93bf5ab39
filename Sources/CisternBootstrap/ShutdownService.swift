import ServiceLifecycle

/// Waits for graceful shutdown, then releases a long-lived resource (the database pool, the
/// HTTP client). Listed before the server, so it runs after the server has stopped serving.
struct ShutdownService: Service {
    let release: @Sendable () async throws -> Void

    func run() async throws {
        try? await gracefulShutdown()
        try await self.release()
    }
}
