import NIOCore
import NIOPosix

// Swift concurrency runs its jobs on NIO's event loops (NIO's documented opt-in), so request
// handlers, the database pool and the sockets share two threads instead of handing each request
// across thread pools at every await. Measured on GET /bucket/available (issue 8): see README.
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
await Cistern.start()
