import Foundation
import Testing
import ZCGuest
import ZCTestSupport

@Suite("console log")
struct ConsoleLogTests {
    @Test("a clean 6.12 guest console has no crash marker")
    func clean() throws {
        #expect(ConsoleLog(try fixture("guest-6.12.117-console.log")).firstCrash() == nil)
    }

    @Test("a real kernel panic is found, with the lines after it")
    func panic() throws {
        let crash = try #require(ConsoleLog(try fixture("guest-6.1.0-56-panic-no-init.console.log")).firstCrash())
        #expect(crash.kind == "panic")
        #expect(crash.line.contains("Kernel panic - not syncing: VFS: Unable to mount root fs"))
        #expect(crash.excerpt.first == crash.line)
        #expect(crash.excerpt.contains { $0.contains("panic+0x") })
    }

    @Test("each marker is recognised", arguments: [
        ("[    1.0] WARNING: CPU: 0 PID: 1 at mm/page_alloc.c:1 foo+0x1/0x2", "WARNING"),
        ("[    1.0] BUG: kernel NULL pointer dereference, address: 0000000000000000", "BUG"),
        ("[    1.0] Oops: 0000 [#1] PREEMPT SMP NOPTI", "Oops"),
        ("[    1.0] BUG: Bad page state in process zcrunner  pfn:0x1234", "BUG"),
        ("[    1.0] general protection fault, probably for non-canonical address", "general protection fault"),
        // The debug kernel's reports, named before the BUG or WARNING they start with.
        ("[    1.0] BUG: KASAN: use-after-free in zcpool_recycle+0x1/0x2 [zcpool]", "KASAN"),
        ("[    1.0] BUG: sleeping function called from invalid context at mm/slab.h:1", "sleeping in atomic context"),
        ("[    1.0] WARNING: possible circular locking dependency detected", "lockdep"),
        ("[    1.0] WARNING: possible recursive locking detected", "lockdep"),
        ("[    1.0] WARNING: inconsistent lock state", "lockdep"),
        ("[    1.0] WARNING: suspicious RCU usage", "lockdep"),
    ])
    func markers(_ line: String, kind: String) {
        #expect(ConsoleLog("boot\n\(line)\nmore\n").firstCrash()?.kind == kind)
    }

    @Test("the tail skips empty lines and carriage returns")
    func tail() {
        #expect(ConsoleLog("a\r\nb\r\n\r\nc\r\n").tail(2) == ["b", "c"])
    }
}
