import NIOCore

/// Waits for a future but never longer than a deadline, so a broken timeout path
/// fails the test instead of hanging the suite.
enum FutureDeadline {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// What the future ended with.
    struct Outcome<Value: Sendable>: CustomStringConvertible {
        var result: Result<Value, any Error>

        func get() throws -> Value { try result.get() }

        var error: (any Error)? {
            if case .failure(let error) = result { return error }
            return nil
        }

        var description: String {
            switch result {
            case .success(let value): return "success(\(value))"
            case .failure(let error): return "failure(\(error))"
            }
        }
    }

    static func outcome<Value: Sendable>(
        within seconds: Int64, _ future: EventLoopFuture<Value>
    ) async -> Outcome<Value> {
        let guarded = future.eventLoop.makePromise(of: Value.self)
        future.cascade(to: guarded)
        let deadline = future.eventLoop.scheduleTask(in: .seconds(seconds)) {
            guarded.fail(Failure("no result within \(seconds) s"))
        }
        guarded.futureResult.whenComplete { _ in deadline.cancel() }
        do {
            return Outcome(result: .success(try await guarded.futureResult.get()))
        } catch {
            return Outcome(result: .failure(error))
        }
    }
}
