import Crypto
import Foundation
import Vapor

/// The web dashboard: static HTML, CSS and ES modules from `Public/`, a resource of this target.
/// They are read once at start (or, with `FINANCE_WEB_ROOT`, from that folder on each request) and
/// served with an `ETag` of their content, so a browser revalidates them in one short round trip.
struct DashboardFiles: Sendable {
    struct File: Sendable {
        let body: Data
        let contentType: String
        let etag: String
    }

    /// The page's own routes: each answers `index.html`, and the page's code draws the route.
    static let pageRoutes: [[String]] = [
        [], ["signin"], ["register"], ["accounts"], ["accounts", ":id"], ["transactions"], ["investments"],
        ["banks"], ["rules"], ["settings"],
    ]

    private let files: [String: File]
    private let root: String?

    /// The files built in, or those of `root` read as asked.
    init(root: String?) throws {
        self.root = root
        if root != nil {
            files = [:]
        } else {
            guard let folder = Self.bundledFolder else {
                throw Abort(.internalServerError, reason: "The dashboard's files are missing from the build")
            }
            files = try Self.read(folder: folder)
        }
    }

    /// The files built into the binary.
    static var bundledFolder: URL? { Bundle.module.url(forResource: "Public", withExtension: nil) }

    /// The file at `path` (relative, as `app/main.js`), or `nil`. Never anything outside the folder.
    func file(_ path: String) -> File? {
        guard let root else { return files[path] }
        let parts = path.split(separator: "/")
        guard !parts.isEmpty, !parts.contains(where: { $0 == ".." || $0 == "." || $0.hasPrefix(".") }) else { return nil }
        let url = URL(fileURLWithPath: root).appendingPathComponent(path)
        guard let body = try? Data(contentsOf: url) else { return nil }
        return Self.file(body, name: url.lastPathComponent)
    }

    /// Every file of the folder, by its path inside it.
    static func read(folder: URL) throws -> [String: File] {
        var files: [String: File] = [:]
        let base = folder.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else { return [:] }
        for case let url as URL in walker {
            guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true,
                  !url.lastPathComponent.hasPrefix(".") else { continue }
            let path = String(url.standardizedFileURL.path.dropFirst(base.count + 1))
            files[path] = file(try Data(contentsOf: url), name: url.lastPathComponent)
        }
        return files
    }

    /// The page's code and styles (the API reference's style sheet aside): how many files, how many bytes.
    private var pageFiles: [File] { files.filter { $0.key != "app/docs.css" }.map(\.value) }
    var count: Int { pageFiles.count }
    var totalBytes: Int { pageFiles.reduce(0) { $0 + $1.body.count } }

    private static func file(_ body: Data, name: String) -> File {
        let digest = SHA256.hash(data: body).prefix(16).hex
        return File(body: body, contentType: contentType(of: name), etag: "\"\(digest)\"")
    }

    static func contentType(of name: String) -> String {
        switch (name as NSString).pathExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "json": "application/json"
        case "webmanifest": "application/manifest+json"
        default: "application/octet-stream"
        }
    }
}

extension Application {
    /// Serves the dashboard: `index.html` at `/` and at each of the page's routes, and the files
    /// under `app/` at their paths.
    func serveDashboard(_ files: DashboardFiles) {
        for route in DashboardFiles.pageRoutes {
            get(route.map { PathComponent(stringLiteral: $0) }) { request in
                try Self.respond(files.file("index.html"), to: request)
            }
        }
        get("app", "**") { request in
            let rest = request.parameters.getCatchall().joined(separator: "/")
            return try Self.respond(files.file("app/" + rest), to: request)
        }
    }

    private static func respond(_ file: DashboardFiles.File?, to request: Request) throws -> Response {
        guard let file else { throw APIError.notFound("file") }
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .eTag, value: file.etag)
        headers.replaceOrAdd(name: .cacheControl, value: "no-cache")
        if let tags = request.headers.first(name: .ifNoneMatch),
           tags.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == file.etag }) {
            return Response(status: .notModified, headers: headers)
        }
        headers.replaceOrAdd(name: .contentType, value: file.contentType)
        return Response(status: .ok, headers: headers, body: .init(data: file.body))
    }
}
