import Foundation

/// A self-contained HTML reference of the OpenAPI document: every operation with its parameters,
/// body and responses, then every schema. No scripts and nothing fetched from elsewhere, so it
/// works on a machine with no internet access.
struct DocsPage {
    let document: [String: Any]

    func render() -> String {
        let info = document["info"] as? [String: Any] ?? [:]
        let title = info["title"] as? String ?? "API"
        let version = info["version"] as? String ?? ""
        var html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="stylesheet" href="/app/docs.css"></head><body>
        <h1>\(escape(title)) <small>\(escape(version))</small></h1>
        <p>Machine-readable: <a href="/openapi.json">/openapi.json</a> · <a href="/openapi.yaml">/openapi.yaml</a></p>
        <div>\(paragraphs(info["description"] as? String ?? ""))</div>
        """
        html += "<h2>Operations</h2>"
        let paths = document["paths"] as? [String: Any] ?? [:]
        for (tag, operations) in operationsByTag(paths) {
            html += "<h3>\(escape(tag))</h3>"
            for operation in operations { html += render(operation) }
        }
        let components = document["components"] as? [String: Any] ?? [:]
        let schemas = components["schemas"] as? [String: Any] ?? [:]
        html += "<h2>Schemas</h2>"
        for name in schemas.keys.sorted() {
            html += "<h3 id=\"schema-\(escape(name))\">\(escape(name))</h3><pre>\(escape(prettyJSON(schemas[name] ?? [:])))</pre>"
        }
        return html + "</body></html>\n"
    }

    private struct Operation {
        let method: String
        let path: String
        let spec: [String: Any]
    }

    private func operationsByTag(_ paths: [String: Any]) -> [(String, [Operation])] {
        var byTag: [String: [Operation]] = [:]
        for path in paths.keys.sorted() {
            let item = paths[path] as? [String: Any] ?? [:]
            for method in ["get", "post", "put", "patch", "delete"] {
                guard let spec = item[method] as? [String: Any] else { continue }
                let tag = (spec["tags"] as? [String])?.first ?? "Other"
                byTag[tag, default: []].append(Operation(method: method, path: path, spec: spec))
            }
        }
        let order = (document["tags"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        return byTag.keys.sorted { (order.firstIndex(of: $0) ?? .max, $0) < (order.firstIndex(of: $1) ?? .max, $1) }
            .map { ($0, byTag[$0] ?? []) }
    }

    private func render(_ operation: Operation) -> String {
        let spec = operation.spec
        var html = "<div class=\"op\"><div><span class=\"m \(operation.method)\">\(operation.method)</span> <code>\(escape(operation.path))</code> — \(escape(spec["summary"] as? String ?? ""))</div>"
        if let description = spec["description"] as? String { html += paragraphs(description) }
        if let parameters = spec["parameters"] as? [[String: Any]], !parameters.isEmpty {
            html += "<table><tr><th>Parameter</th><th>In</th><th>Required</th><th>Description</th></tr>"
            for parameter in parameters {
                html += "<tr><td><code>\(escape(parameter["name"] as? String ?? ""))</code></td><td>\(escape(parameter["in"] as? String ?? ""))</td><td>\((parameter["required"] as? Bool ?? false) ? "yes" : "no")</td><td>\(escape(parameter["description"] as? String ?? ""))</td></tr>"
            }
            html += "</table>"
        }
        if let body = spec["requestBody"] as? [String: Any] {
            html += "<p><b>Body</b></p><pre>\(escape(prettyJSON(body["content"] ?? [:])))</pre>"
        }
        if let responses = spec["responses"] as? [String: Any] {
            html += "<table><tr><th>Status</th><th>Meaning</th></tr>"
            for status in responses.keys.sorted() {
                let response = responses[status] as? [String: Any] ?? [:]
                let text = response["description"] as? String ?? (response["$ref"] as? String).map { "see \($0)" } ?? ""
                html += "<tr><td>\(escape(status))</td><td>\(escape(text))</td></tr>"
            }
            html += "</table>"
        }
        return html + "</div>"
    }

    private func paragraphs(_ text: String) -> String {
        text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { "<p>\(escape($0).replacingOccurrences(of: "\n", with: "<br>"))</p>" }.joined()
    }

    private func prettyJSON(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject(value),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else {
            return String(describing: value)
        }
        return String(decoding: data, as: UTF8.self)
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
