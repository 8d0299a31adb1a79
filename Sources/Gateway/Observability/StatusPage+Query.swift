import Foundation

extension StatusPage {
    /// What the reader asked for, from the query string of `/` (docs/OPERATIONS.md lists it):
    ///
    /// - `q`: only sensors whose id contains this text;
    /// - `show`: `all` (the default), `attention` (stale, waiting, rejected and flagged), or one
    ///   class: `stale`, `waiting`, `rejected`, `flagged`, `fine` (see `Attention`);
    /// - `rows`: rows per page, 10 to 500 (default 100), which bounds the page's size;
    /// - `page`: which page, from 0.
    ///
    /// Unknown keys are ignored and bad values fall back to the defaults, so a hand-typed or
    /// stale link always shows a page.
    struct Query: Equatable {
        /// Which sensors to list.
        enum Show: String, CaseIterable {
            case all, attention, stale, waiting, rejected, flagged, fine

            func includes(_ attention: Attention) -> Bool {
                switch self {
                case .all: true
                case .attention: attention != .fine
                case .stale: attention == .stale
                case .waiting: attention == .waiting
                case .rejected: attention == .rejected
                case .flagged: attention == .flagged
                case .fine: attention == .fine
                }
            }
        }

        static let defaultRows = 100
        static let rowsRange = 10...500

        var filter = ""
        var page = 0
        var show = Show.all
        var rows = Query.defaultRows

        init(filter: String = "", page: Int = 0, show: Show = .all, rows: Int = Query.defaultRows) {
            self.filter = filter
            self.page = page
            self.show = show
            self.rows = rows
        }

        /// Parses `q=press&show=attention&rows=50&page=2`.
        init(queryString: String) {
            for pair in queryString.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                // An escape that is not UTF-8 (`%ff`) is kept as written, so it matches what it
                // says (nothing), not everything (found black-box: `?q=%00%ff` showed every sensor).
                let plain = parts[1].replacingOccurrences(of: "+", with: " ")
                let value = String((plain.removingPercentEncoding ?? plain).prefix(200))
                switch parts[0] {
                case "q": filter = value
                case "page": page = max(0, Int(value) ?? 0)
                case "show": show = Show(rawValue: value) ?? .all
                case "rows": rows = Int(value).map { min(max($0, Self.rowsRange.lowerBound), Self.rowsRange.upperBound) } ?? Self.defaultRows
                default: break
                }
            }
        }

        /// The query string of this query with some parts changed, for the page's links.
        func link(page: Int? = nil, show: Show? = nil) -> String {
            var parts: [String] = []
            if !filter.isEmpty { parts.append("q=\(filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")") }
            let show = show ?? self.show
            if show != .all { parts.append("show=\(show.rawValue)") }
            if rows != Self.defaultRows { parts.append("rows=\(rows)") }
            parts.append("page=\(page ?? self.page)")
            return "/?" + parts.joined(separator: "&")
        }
    }
}
