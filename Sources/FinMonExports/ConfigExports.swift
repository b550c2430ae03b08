import CFinMon
import FinMonCore

@c @implementation
public func finmon_config_schema(_ format: finmon_config_schema_format, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    abiCall {
        guard let out else { throw ABIError.null("out") }
        let text: String
        switch format {
        case FINMON_CONFIG_SCHEMA_JSON: text = ConfigTable.schemaJSON()
        case FINMON_CONFIG_SCHEMA_MARKDOWN: text = ConfigTable.markdownTable()
        case FINMON_CONFIG_SCHEMA_YAML: text = ConfigTable.yamlTemplate()
        default: throw ABIError.argument("format must be a finmon_config_schema_format (0...2), got \(format.rawValue)")
        }
        return try CInput.give(text, to: out)
    }
}
