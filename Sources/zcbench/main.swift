import Foundation
import Logging
import ZCCommandLine

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = ProcessInfo.processInfo.environment["ZCBENCH_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    return handler
}
await Entry.main()
