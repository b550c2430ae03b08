import CFinMon
import FinMonCore

/// Writes report.html from a metrics_final.json (see include/finmon.h).
@c @implementation
public func finmon_report_write(_ finalJSON: UnsafePointer<CChar>?, _ report: UnsafePointer<CChar>?) -> Int32 {
    abiCall {
        let source = try CInput.string(finalJSON, "final_json")
        let target = try CInput.string(report, "report")
        do {
            try RunReport.write(finalJSON: source, to: target)
        } catch let failure as RunReport.Failure {
            switch failure {
            case .notFinalRecord: throw ABIError.argument(failure.description)
            case .unreadable, .write: throw ABIError(code: FINMON_E_IO, message: failure.description)
            }
        }
        return FINMON_OK
    }
}
