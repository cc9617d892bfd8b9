// The trivial endpoint the HTTP benchmark compares with nginx's `return 200 '{"ok":true}'`.
// Usage: HTTPBench PORT [EVENT_LOOPS]. /json is answered on the event loop (the path token checks
// take); /json-async goes through a task on the concurrency pool (the path password work takes).
import Glibc
import PortcullisHTTP

let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 0 : 0
let loops =
    arguments.count > 2
    ? Int(arguments[2]) ?? HTTPServerConfiguration.processorCount : HTTPServerConfiguration.processorCount
let body = Array(#"{"ok":true}"#.utf8)
var router = Router()
router.onImmediate(.get, "/json") { _ in .json(bytes: body) }
router.get("/json-async") { _ in .json(bytes: body) }
let server = try HTTPServer(
    configuration: HTTPServerConfiguration(addresses: [.tcp(host: "127.0.0.1", port: port)], eventLoopCount: loops),
    router: router)
try server.start()
let line = Array("listening \(server.port)\n".utf8)
_ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
server.waitForTerminationSignal()
server.shutdown(gracePeriod: 1_000)
