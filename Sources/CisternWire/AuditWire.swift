/// `GET /audit`: one page of the audit log, newest first.
public struct AuditListResponse: Codable, Sendable {
    public struct Event: Codable, Sendable, Equatable {
        public var id: String
        /// ISO 8601 with milliseconds (`2026-11-30T14:16:02.123Z`).
        public var at: String
        public var actorId: String?
        public var actorEmail: String?
        public var action: String
        public var target: String?
        /// `success` or `failure`.
        public var outcome: String
        /// The HTTP status a refused request was answered with; absent for a change that was made.
        public var status: Int?
        public var clientAddress: String
        public var userAgent: String
        public var details: [String: String]

        public init(
            id: String, at: String, actorId: String?, actorEmail: String?, action: String, target: String?, outcome: String, status: Int?,
            clientAddress: String, userAgent: String, details: [String: String]
        ) {
            self.id = id
            self.at = at
            self.actorId = actorId
            self.actorEmail = actorEmail
            self.action = action
            self.target = target
            self.outcome = outcome
            self.status = status
            self.clientAddress = clientAddress
            self.userAgent = userAgent
            self.details = details
        }
    }

    public var success = true
    public var events: [Event]
    /// Pass as `cursor` for the next page; absent on the last one.
    public var nextCursor: String?

    public init(events: [Event], nextCursor: String?) {
        self.events = events
        self.nextCursor = nextCursor
    }
}
