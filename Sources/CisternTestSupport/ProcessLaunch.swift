import Foundation

/// Starts child processes one at a time. Foundation's `Process.run()` on Linux crashed inside its
/// own copying (a bad pointer in `memcpy`) when eight tests' processes were launched at once; the
/// launches are serialized here, the processes still run side by side.
public enum ProcessLaunch {
    private static let lock = NSLock()

    public static func run(_ process: Process) throws {
        try self.lock.withLock { try process.run() }
    }
}
