/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest protocol's shared names and limits: the one home of every list
 * that the guest programs (vm/) and the host (zcbench, Swift) both use.
 *
 * The host's twins live in Sources/ZCGuest (GuestProtocol.swift,
 * ConsoleLog.swift); Tests/ZCGuestTests/ProtocolParityTests.swift reads this
 * file and fails when a name, a limit or a marker differs. The module's own
 * lists (its accounting variants - the designs - and its faults) are in
 * kernel/uapi/zcpool.h, which the host reads as it is. docs/guest-protocol.md describes the protocol as a whole.
 *
 * Only string and integer #defines and the marker table below: the host's
 * test parses this file with a few regular expressions.
 */
#ifndef ZCBENCH_PROTOCOL_H
#define ZCBENCH_PROTOCOL_H

/* Kernel command line: zcbench.<key>=<value>, read by init and the runner. */
#define ZCB_PARAM_PREFIX		"zcbench."
#define ZCB_KEY_MODE			"mode"
#define ZCB_KEY_SCENARIOS		"scenarios"
#define ZCB_KEY_VARIANTS		"variants"
#define ZCB_KEY_TCP_DESIGNS		"tcp_designs"
#define ZCB_KEY_TCP_KERNEL		"tcp_kernel"	/* the design a patched kernel has in net/ipv4/tcp.c */
#define ZCB_KEY_SIZE_MIB		"size_mib"
#define ZCB_KEY_SETTLE_MS		"settle_ms"
#define ZCB_KEY_FLUSH_STATS		"flush_stats"
#define ZCB_KEY_FAULT			"fault"
#define ZCB_KEY_RUNNER_TIMEOUT_S	"runner_timeout_s"
#define ZCB_KEY_FUZZ_SECONDS		"fuzz_seconds"
#define ZCB_KEY_FUZZ_SEED		"fuzz_seed"
#define ZCB_KEY_FUZZ_VARIANTS		"fuzz_variants"
#define ZCB_KEY_FUZZ_REPRO		"fuzz_repro"
#define ZCB_KEY_FUZZ_THREAD		"fuzz_thread"
#define ZCB_KEY_FUZZ_OPS		"fuzz_ops"
#define ZCB_KEY_FUZZ_TRACE_FROM		"fuzz_trace_from"

/* Paths of the initramfs (the host writes it, init and the runner use it). */
#define ZCB_PATH_INIT			"/init"
#define ZCB_PATH_RUNNER			"/bin/zcrunner"
#define ZCB_PATH_MODULE			"/lib/modules/zcpool.ko"
#define ZCB_PATH_LIVEPATCH		"/lib/modules/zctcp.ko"
#define ZCB_PATH_RESULTS		"/dev/ttyS1"	/* the results port; the console is ttyS0 */
#define ZCB_PATH_PROGRAM		"/dev/ttyS2"	/* zcbench exec: the program's stdout and stderr */
#define ZCB_PATH_EXEC_DIR		"/exec"		/* zcbench exec: the program and --put files */
#define ZCB_PATH_EXEC_ARGV		"/etc/zcbench-exec.argv"	/* its argv, NUL-terminated strings */

/* Values of zcbench.mode. */
#define ZCB_MODE_RUN			"run"
#define ZCB_MODE_SHELL			"shell"

/* Lines the host reads. */
#define ZCB_LINE_INIT_STARTED		"zcbench-init: started at uptime "	/* console, then "<seconds> s" */
#define ZCB_LINE_EXIT			"zcbench-exit "		/* results, after "# ": the runner's exit status */
#define ZCB_LINE_GUEST_MEMORY		"guest memory: "	/* results diagnostic: total_kb= min_available_kb= */
#define ZCB_LINE_SAMPLE			"sample "		/* results diagnostic: a timeline point, name=integer fields */

/* zcpool-fuzz: workers, limits, and the notes a failure or a replay prints. */
#define ZCB_FUZZ_PROCS			2	/* worker processes per variant */
#define ZCB_FUZZ_THREADS		2	/* threads per worker process */
#define ZCB_FUZZ_REPRO_MAX		48	/* most generator states zcbench.fuzz_repro takes */
#define ZCB_FUZZ_MIN_SECONDS		120	/* the guest's time for minimizing, all variants together */
#define ZCB_FUZZ_PROGRESS_OPS		256	/* a thread alone prints its progress this often */
#define ZCB_FUZZ_TRACE_OPS		16	/* operations printed before a crash (zcbench.fuzz_trace_from) */
#define ZCB_NOTE_REPRO_STATES		"repro-states "		/* "<variant> S,S,...": the minimized sequence */
#define ZCB_NOTE_FUZZ_PROGRESS		"fuzz-progress "	/* "<n>": operations a thread alone ran so far */
#define ZCB_NOTE_REPRO			"repro "		/* "<variant>: <operation>": one replayed operation */

/*
 * Console markers of a kernel in trouble, as { kind, text }: a console or
 * /dev/kmsg line containing the text means the kernel went wrong. The host
 * scans console.log for them, a line's first match in this order naming
 * it (the debug kernel's reports before the generic BUG and WARNING they
 * start with); the fuzzer scans /dev/kmsg.
 */
#define ZCB_CONSOLE_MARKERS {						\
	{ "panic",			"Kernel panic - not syncing" },		\
	{ "KASAN",			"BUG: KASAN:" },			\
	{ "sleeping in atomic context",	"BUG: sleeping function called from invalid context" }, \
	{ "BUG",			"BUG:" },				\
	{ "BUG",			"kernel BUG at" },			\
	{ "Oops",			"Oops:" },				\
	{ "general protection fault",	"general protection fault" },		\
	{ "lockdep",			"WARNING: possible " },			\
	{ "lockdep",			"WARNING: inconsistent lock state" },	\
	{ "lockdep",			"WARNING: suspicious RCU usage" },	\
	{ "WARNING",			"WARNING:" },				\
	{ "bad page",			"Bad page state" },			\
}

#endif /* ZCBENCH_PROTOCOL_H */
