import CFinMonYAML

/// Builds a `YAMLNode` tree from libyaml's event stream.
///
/// The tree is built with an explicit stack, never by recursion, and nesting is capped,
/// so hostile input (`[[[[...` a million deep) yields an error rather than a stack overflow
/// here or in the recursive deinit/`==` of the resulting tree.
enum YAMLLoader {
    static let maxDepth = 64

    private struct PendingKey {
        let text: String
        let line: Int
        let column: Int
    }

    private enum Frame {
        case mapping(entries: [YAMLNode.Entry], firstLines: [String: Int], key: PendingKey?, line: Int, column: Int)
        case sequence(items: [YAMLNode], line: Int, column: Int)
    }

    static func load(text: String, fileName: String) throws(ConfigError) -> YAMLNode? {
        try load(bytes: Array(text.utf8), fileName: fileName)
    }

    /// Bytes rather than a String so that invalid UTF-8 in a file reaches libyaml, which
    /// reports where it is, instead of being silently replaced.
    static func load(bytes input: [UInt8], fileName: String) throws(ConfigError) -> YAMLNode? {
        // libyaml keeps pointers to the parser (its read handler's context) and to the input
        // for the whole parse, so both live at addresses Swift will not move.
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(input.count, 1))
        defer { buffer.deallocate() }
        buffer.initialize(from: input, count: input.count)
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            throw ConfigError(kind: .syntax, file: fileName, line: 0, column: 0, message: "libyaml could not allocate a parser")
        }
        defer { yaml_parser_delete(parser) }
        yaml_parser_set_input_string(parser, buffer, input.count)
        let event = UnsafeMutablePointer<yaml_event_t>.allocate(capacity: 1)
        defer { event.deallocate() }

        var builder = Builder(fileName: fileName)
        while true {
            guard yaml_parser_parse(parser, event) == 1 else {
                throw syntaxError(parser: parser.pointee, input: input, fileName: fileName)
            }
            let result: Result<Bool, ConfigError>
            do throws(ConfigError) {
                result = .success(try builder.consume(event.pointee))
            } catch {
                result = .failure(error)
            }
            yaml_event_delete(event)
            switch result {
            case .success(let finished): if finished { return builder.root }
            case .failure(let error): throw error
            }
        }
    }

    private static func syntaxError(parser: yaml_parser_t, input: [UInt8], fileName: String) -> ConfigError {
        var line = Int(clamping: parser.problem_mark.line) &+ 1
        var column = Int(clamping: parser.problem_mark.column) &+ 1
        if parser.error == YAML_READER_ERROR {
            // Reader errors (bad encoding) report a byte offset, not a mark.
            let offset = min(Int(clamping: parser.problem_offset), input.count)
            let before = input[..<offset]
            line = before.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 &+ 1 : $0 }
            column = offset &- (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 &+ 1 } ?? 0) &+ 1
        }
        var message = "YAML syntax error: "
        message += parser.problem.map { String(cString: $0) } ?? "unknown problem"
        if let context = parser.context {
            message += " (\(String(cString: context)))"
        }
        return ConfigError(kind: .syntax, file: fileName, line: line, column: column, message: message)
    }

    private struct Builder {
        let fileName: String
        var stack: [Frame] = []
        var root: YAMLNode?
        var documents = 0

        init(fileName: String) {
            self.fileName = fileName
        }

        private func unsupported(_ message: String, _ mark: yaml_mark_t) -> ConfigError {
            ConfigError(
                kind: .unsupported, file: fileName,
                line: Int(clamping: mark.line) &+ 1, column: Int(clamping: mark.column) &+ 1,
                message: message)
        }

        private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int? = nil) -> String? {
            guard let pointer else { return nil }
            if let length {
                return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
            }
            return String(cString: pointer)
        }

        /// Returns true at the end of the stream.
        mutating func consume(_ event: yaml_event_t) throws(ConfigError) -> Bool {
            let mark = event.start_mark
            let line = Int(clamping: mark.line) &+ 1
            let column = Int(clamping: mark.column) &+ 1
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return true
            case YAML_DOCUMENT_START_EVENT:
                documents &+= 1
                if documents > 1 { throw unsupported("a config file holds one YAML document, found a second", mark) }
            case YAML_ALIAS_EVENT:
                throw unsupported("anchors and aliases are not supported", mark)
            case YAML_SCALAR_EVENT:
                let data = event.data.scalar
                if data.anchor != nil { throw unsupported("anchors and aliases are not supported", mark) }
                let text = Self.string(data.value, length: Int(clamping: data.length)) ?? ""
                var tag = Self.string(data.tag)
                if tag == "!" { tag = "tag:yaml.org,2002:str" }  // the non-specific tag: a string
                if let tag, !Self.scalarTags.contains(tag) {
                    throw unsupported("tag '\(tag)' is not supported", mark)
                }
                let scalar = YAMLNode.Scalar(text: text, isPlain: data.style == YAML_PLAIN_SCALAR_STYLE, tag: tag)
                try attach(YAMLNode(.scalar(scalar), line: line, column: column), mark: mark)
            case YAML_SEQUENCE_START_EVENT:
                let data = event.data.sequence_start
                if data.anchor != nil { throw unsupported("anchors and aliases are not supported", mark) }
                if let tag = Self.string(data.tag), tag != "tag:yaml.org,2002:seq" {
                    throw unsupported("tag '\(tag)' is not supported", mark)
                }
                try push(.sequence(items: [], line: line, column: column), mark: mark)
            case YAML_MAPPING_START_EVENT:
                let data = event.data.mapping_start
                if data.anchor != nil { throw unsupported("anchors and aliases are not supported", mark) }
                if let tag = Self.string(data.tag), tag != "tag:yaml.org,2002:map" {
                    throw unsupported("tag '\(tag)' is not supported", mark)
                }
                try push(.mapping(entries: [], firstLines: [:], key: nil, line: line, column: column), mark: mark)
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = stack.popLast() else { return false }
                switch frame {
                case .sequence(let items, let line, let column):
                    try attach(YAMLNode(.sequence(items), line: line, column: column), mark: mark)
                case .mapping(let entries, _, _, let line, let column):
                    try attach(YAMLNode(.mapping(entries), line: line, column: column), mark: mark)
                }
            default:
                break
            }
            return false
        }

        private static let scalarTags: Set<String> = [
            "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
            "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
        ]

        private mutating func push(_ frame: Frame, mark: yaml_mark_t) throws(ConfigError) {
            if case .mapping(_, _, let key, _, _) = stack.last, key == nil {
                throw unsupported("mapping keys must be scalars", mark)
            }
            if stack.count >= YAMLLoader.maxDepth {
                throw unsupported("nesting deeper than \(YAMLLoader.maxDepth) levels is not supported", mark)
            }
            stack.append(frame)
        }

        private mutating func attach(_ node: YAMLNode, mark: yaml_mark_t) throws(ConfigError) {
            guard let top = stack.popLast() else {
                root = node
                return
            }
            switch top {
            case .sequence(var items, let line, let column):
                items.append(node)
                stack.append(.sequence(items: items, line: line, column: column))
            case .mapping(var entries, var firstLines, let key, let line, let column):
                if let key {
                    entries.append(YAMLNode.Entry(key: key.text, keyLine: key.line, keyColumn: key.column, value: node))
                    stack.append(.mapping(entries: entries, firstLines: firstLines, key: nil, line: line, column: column))
                    return
                }
                guard case .scalar(let scalar) = node.content else {
                    throw unsupported("mapping keys must be scalars", mark)
                }
                if let first = firstLines[scalar.text] {
                    throw ConfigError(
                        kind: .unsupported, file: fileName, line: node.line, column: node.column,
                        message: "duplicate key '\(scalar.text)' (first defined on line \(first))")
                }
                firstLines[scalar.text] = node.line
                let pending = PendingKey(text: scalar.text, line: node.line, column: node.column)
                stack.append(.mapping(entries: entries, firstLines: firstLines, key: pending, line: line, column: column))
            }
        }
    }
}
