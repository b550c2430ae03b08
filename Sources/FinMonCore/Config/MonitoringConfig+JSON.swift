extension MonitoringConfig {
    /// The full effective config (defaults filled in) as one line of JSON, nested by the
    /// YAML's sections with sorted keys, with the warnings the file gave:
    /// `{"config": {"grafana": {...}, "monitoring": {...}}, "warnings": [...]}`.
    public func jsonString() -> String {
        JSONValue.orderedObject([("config", valuesJSON), ("warnings", .array(warnings.map(\.json)))]).rendered
    }

    /// The values alone, nested by section.
    var valuesJSON: JSONValue {
        func object(_ section: String) -> JSONValue {
            let names = ConfigTable.children[section] ?? []
            return .sortedObject(names.map { name in
                let path = section.isEmpty ? name : "\(section).\(name)"
                return (name, ConfigTable.key(path) != nil ? self[path].json : object(path))
            })
        }
        return object("")
    }
}
