/// A JSON-RPC 2.0 error object (`Specs/control-api.md`, "Errors").
public struct RPCError: Error, Equatable, Sendable {
    /// The error code: the JSON-RPC 2.0 codes, and -32000…-32099 for this API's own.
    public var code: Int
    /// A sentence saying what was wrong.
    public var message: String
    /// Details for programs, if any.
    public var data: JSONValue?

    /// An error with `code`, `message` and optional `data`.
    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    /// The line is not JSON.
    public static func parseError(_ detail: String) -> RPCError {
        RPCError(code: -32700, message: "parse error: \(detail)")
    }
    /// The JSON is not a JSON-RPC 2.0 request.
    public static func invalidRequest(_ detail: String) -> RPCError {
        RPCError(code: -32600, message: "invalid request: \(detail)")
    }
    /// No such method.
    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(code: -32601, message: "method not found: \(method) (node.hello lists the capabilities)")
    }
    /// The params are wrong.
    public static func invalidParams(_ detail: String) -> RPCError {
        RPCError(code: -32602, message: "invalid params: \(detail)")
    }
    /// The node could not do it (a refusal the caller can act on: a banned peer, an unknown id).
    public static func refused(_ detail: String) -> RPCError {
        RPCError(code: -32001, message: detail)
    }
    /// The client asked for API versions this node does not speak.
    public static func unsupportedVersion(_ asked: [Int64]) -> RPCError {
        RPCError(
            code: -32002,
            message: "none of the API versions \(asked) is supported; this node speaks \(ControlAPI.version)",
            data: ["supported": [.integer(ControlAPI.version)]])
    }
    /// The connection or the node is at a limit (subscriptions, pending polls, connections).
    public static func limit(_ detail: String) -> RPCError {
        RPCError(code: -32003, message: detail)
    }

    /// The error as a JSON object.
    public var json: JSONValue {
        var members: [String: JSONValue] = ["code": .integer(code), "message": .string(message)]
        if let data { members["data"] = data }
        return .object(members)
    }
}

/// One JSON-RPC 2.0 request or notification, checked for shape.
public struct RPCRequest: Equatable, Sendable {
    /// The id to answer with; nil for a notification (which gets no answer).
    public var id: JSONValue?
    /// The method name.
    public var method: String
    /// The params: an object, an array, or nil when absent.
    public var params: JSONValue?

    /// A request from its parts.
    public init(id: JSONValue?, method: String, params: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.params = params
    }

    /// Checks that `value` is a request object: `"jsonrpc": "2.0"`, a string `method`, `params` an object or an
    /// array if present, `id` a string, a number or null if present.
    /// - Throws: `RPCError` invalid request, naming the member that is wrong; `id` holds the request's id when it
    ///   could be read, so the error can answer it.
    public init(checking value: JSONValue) throws(RPCRequestError) {
        guard case .object(let members) = value else {
            throw RPCRequestError(
                id: .null, error: .invalidRequest("a request is a JSON object, not \(value.typeName)"))
        }
        var id: JSONValue?
        if let given = members["id"] {
            switch given {
            case .string, .int, .double, .null: id = given
            default:
                throw RPCRequestError(
                    id: .null,
                    error: .invalidRequest("\"id\" must be a string, a number or null, not \(given.typeName)"))
            }
        }
        let answerID = id ?? .null
        guard members["jsonrpc"] == .string("2.0") else {
            throw RPCRequestError(id: answerID, error: .invalidRequest("\"jsonrpc\" must be \"2.0\""))
        }
        guard case .string(let method) = members["method"] else {
            throw RPCRequestError(id: answerID, error: .invalidRequest("\"method\" must be a string"))
        }
        let params = members["params"]
        switch params {
        case nil, .object?, .array?: break
        case let other?:
            throw RPCRequestError(
                id: answerID, error: .invalidRequest("\"params\" must be an object or an array, not \(other.typeName)"))
        }
        if let unknown = members.keys.sorted().first(where: { !["jsonrpc", "id", "method", "params"].contains($0) }) {
            throw RPCRequestError(id: answerID, error: .invalidRequest("unknown member \"\(unknown)\""))
        }
        self.init(id: id, method: method, params: params)
    }
}

/// A request that could not be taken, with the id to answer (null when it could not be read).
public struct RPCRequestError: Error, Equatable, Sendable {
    /// The id of the bad request, or null.
    public var id: JSONValue
    /// What was wrong.
    public var error: RPCError
}

/// Building JSON-RPC 2.0 messages.
public enum RPCMessage {
    /// A success response.
    public static func result(_ result: JSONValue, id: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "result": result]
    }

    /// An error response.
    public static func error(_ error: RPCError, id: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "error": error.json]
    }

    /// A notification (no id: it is not answered).
    public static func notification(_ method: String, params: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "method": .string(method), "params": params]
    }
}

/// The API's version and capabilities (`node.hello`).
public enum ControlAPI {
    /// The API version this node speaks; a change that breaks clients raises it.
    public static let version = 1
    /// The capabilities (method families) this node offers.
    public static let capabilities = [
        "node", "peers", "events", "metrics", "logs", "indicators", "strategies", "signals", "feed",
    ]
}
