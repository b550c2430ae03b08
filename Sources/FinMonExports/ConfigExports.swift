import FinMonCore

@_cdecl("finmon_config_schema")
public func finmon_config_schema(_ format: Int32, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    abiCall {
        guard let out else { throw ABIError.null("out") }
        let text: String
        switch format {
        case 0: text = ConfigTable.schemaJSON()
        case 1: text = ConfigTable.markdownTable()
        case 2: text = ConfigTable.yamlTemplate()
        default: throw ABIError.argument("format must be a finmon_config_schema_format (0...2), got \(format)")
        }
        return try CInput.give(text, to: out)
    }
}
