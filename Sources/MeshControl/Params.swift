public import MeshCore

/// A request's named params, read with checks that name the param and say what was expected.
public struct Params {
    private let members: [String: JSONValue]
    private let method: String

    /// The params of `request`, which must be an object (or absent) with no members outside `allowed`.
    /// - Throws: `RPCError` invalid params.
    public init(_ request: RPCRequest, allowed: Set<String>) throws(RPCError) {
        method = request.method
        switch request.params {
        case nil:
            members = [:]
        case .object(let given)?:
            if let unknown = given.keys.sorted().first(where: { !allowed.contains($0) }) {
                let known = allowed.isEmpty ? "takes no params" : "takes \(allowed.sorted().joined(separator: ", "))"
                throw .invalidParams("unknown param \"\(unknown)\"; \(request.method) \(known)")
            }
            members = given
        case let other?:
            throw .invalidParams("\(request.method) takes named params (an object), not \(other.typeName)")
        }
    }

    /// A string param; nil when absent or null.
    public func string(_ name: String, maxLength: Int = 4096) throws(RPCError) -> String? {
        switch members[name] {
        case nil, .null?: return nil
        case .string(let text)?:
            guard text.utf8.count <= maxLength else {
                throw .invalidParams("\"\(name)\" is longer than \(maxLength) bytes")
            }
            return text
        case let other?: throw .invalidParams("\"\(name)\" must be a string, not \(other.typeName)")
        }
    }

    /// A required string param.
    public func requiredString(_ name: String, maxLength: Int = 4096) throws(RPCError) -> String {
        guard let text = try string(name, maxLength: maxLength) else {
            throw .invalidParams("\(method) needs \"\(name)\"")
        }
        return text
    }

    /// An integer param within `range`; nil when absent or null.
    public func integer(_ name: String, in range: ClosedRange<Int64>) throws(RPCError) -> Int64? {
        switch members[name] {
        case nil, .null?: return nil
        case .int(let value)?:
            guard range.contains(value) else {
                throw .invalidParams(
                    "\"\(name)\" must be from \(range.lowerBound) to \(range.upperBound), not \(value)")
            }
            return value
        case let other?: throw .invalidParams("\"\(name)\" must be an integer, not \(other.typeName)")
        }
    }

    /// A node id param (`sm1…`).
    public func nodeID(_ name: String) throws(RPCError) -> NodeID {
        let text = try requiredString(name, maxLength: 256)
        do {
            return try NodeID(text: text)
        } catch {
            throw .invalidParams("\"\(name)\" is not a node id: \(error.description)")
        }
    }

    /// The raw value of a param.
    public subscript(name: String) -> JSONValue? { members[name] }
}
