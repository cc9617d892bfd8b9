import Foundation
import Logging
import PortcullisCore
import PortcullisHTTP

/// Where browsers send the pages' Content-Security-Policy violations (`report-uri /csp-report`): the
/// legacy `application/csp-report` body and the Reporting API's `application/reports+json` list are
/// both read. A report says which directive blocked what on which page; the log keeps only those
/// three, without query strings or fragments (a page URL can carry a reset token) and without the
/// script sample. Anyone can post here, so the body is small and the log lines are budgeted.
extension API {
    /// The largest report body read (browsers send well under 2 KiB).
    static let cspReportLimit = 8 * 1024

    func addCSPReportRoute(_ routes: inout Routes) {
        routes.immediate(.post, "/csp-report") { [self] request throws(APIError) in try cspReport(request) }
    }

    func cspReport(_ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        let type = (request.headers["Content-Type"] ?? "").split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        guard let type, ["application/csp-report", "application/reports+json", "application/json"].contains(type)
        else {
            throw .message("Expected a CSP report (application/csp-report)", .unsupportedMediaType)
        }
        guard request.body.count <= Self.cspReportLimit else {
            throw .message("The report is too large", .contentTooLarge)
        }
        guard let json = try? JSONSerialization.jsonObject(with: Data(request.body)),
            let reports = CSPReport.read(json), !reports.isEmpty
        else { throw .badJSON }
        for report in reports where cspReportLog.allow(now: engine.clock.milliseconds) {
            logger.warning(
                "content security policy violation",
                metadata: [
                    "page": "\(report.page)", "directive": "\(report.directive)", "blocked": "\(report.blocked)",
                ])
        }
        return HTTPResponse(status: .noContent)
    }
}
