// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-fuzz's parameters: the zcbench.fuzz_* keys of the kernel command
 * line (docs/guest-protocol.md), and the fault of zcbench.fault.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmdline.h"
#include "fuzz.h"
#include "ktap.h"
#include "zcpool_util.h"
#include "zctcp_util.h"

#define DEFAULT_FUZZ_SECONDS	10
#define MAX_FUZZ_SECONDS	3600

/*
 * zcbench.fuzz_thread=P.K, zcbench.fuzz_ops=N, zcbench.fuzz_trace_from=M:
 * one thread's operations alone, those from M on printed (the host asks for
 * the last ZCB_FUZZ_TRACE_OPS before a crash). Returns 0, or -1 (after
 * saying why).
 */
static int thread_parse(struct fuzz_params *fp)
{
	char buf[32], end;
	long ops = cmdline_get_long(ZCB_KEY_FUZZ_OPS, 0);
	long from = cmdline_get_long(ZCB_KEY_FUZZ_TRACE_FROM, LONG_MAX);

	if (!cmdline_get(ZCB_KEY_FUZZ_THREAD, buf, sizeof(buf)))
		return 0;
	if (sscanf(buf, "%u.%u%c", &fp->proc, &fp->thread, &end) != 2 ||
	    fp->proc >= ZCB_FUZZ_PROCS || fp->thread >= ZCB_FUZZ_THREADS) {
		ktap_print_msg(ZCB_PARAM_PREFIX ZCB_KEY_FUZZ_THREAD "=%s: expected process.thread, below %d.%d",
			       buf, ZCB_FUZZ_PROCS, ZCB_FUZZ_THREADS);
		return -1;
	}
	if (ops < 0 || from < 0)
		return -1;
	fp->alone = true;
	fp->ops = ops;
	fp->trace_from = from;
	return 0;
}

/*
 * zcbench.fuzz_repro: the generator states of the operations to replay
 * (hexadecimal, comma-separated), parsed into states. Returns how many, 0
 * if the parameter is absent, -1 (after saying why) if it is malformed.
 */
static long repro_parse(uint64_t states[ZCB_FUZZ_REPRO_MAX])
{
	char buf[ZCB_FUZZ_REPRO_MAX * 17 + 2], *tok, *save, *end;
	long n = 0;

	if (!cmdline_get(ZCB_KEY_FUZZ_REPRO, buf, sizeof(buf)))
		return 0;
	if (strlen(buf) >= sizeof(buf) - 1) {
		ktap_print_msg(ZCB_PARAM_PREFIX ZCB_KEY_FUZZ_REPRO ": more than %d states",
			       ZCB_FUZZ_REPRO_MAX);
		return -1;
	}
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == ZCB_FUZZ_REPRO_MAX) {
			ktap_print_msg(ZCB_PARAM_PREFIX ZCB_KEY_FUZZ_REPRO ": more than %d states",
				       ZCB_FUZZ_REPRO_MAX);
			return -1;
		}
		errno = 0;
		states[n] = strtoull(tok, &end, 16);
		if (errno || end == tok || *end || !states[n]) {
			ktap_print_msg(ZCB_PARAM_PREFIX ZCB_KEY_FUZZ_REPRO ": '%s' is not a generator state (non-zero hexadecimal)",
				       tok);
			return -1;
		}
		n++;
	}
	return n;
}

/*
 * zcbench.fuzz_variants, by default every variant of the module's table,
 * then every design of the livepatch's.
 */
static void variants_parse(struct fuzz_params *fp)
{
	char *save, *tok;
	unsigned int i;

	if (!cmdline_get(ZCB_KEY_FUZZ_VARIANTS, fp->list, sizeof(fp->list))) {
		for (i = 0; i < ZCPOOL_NR_VARIANTS; i++)
			fp->variants[fp->nv++] = zcp_variant_names[i];
		for (i = 0; i < ZCTCP_NR_DESIGNS; i++)
			fp->variants[fp->nv++] = zct_design_names[i];
		return;
	}
	for (tok = strtok_r(fp->list, ",", &save); tok && fp->nv < FUZZ_NR_TARGETS;
	     tok = strtok_r(NULL, ",", &save))
		fp->variants[fp->nv++] = tok;
}

void fuzz_params_read(struct fuzz_params *fp)
{
	long seconds = cmdline_get_long(ZCB_KEY_FUZZ_SECONDS, DEFAULT_FUZZ_SECONDS);
	uint64_t seed = (uint64_t)cmdline_get_long(ZCB_KEY_FUZZ_SEED, 0);

	variants_parse(fp);
	if (!seed)
		seed = (uint64_t)monotonic_ns();
	seed &= INT64_MAX;	/* printed as a metric, a signed integer */
	if (!seed)
		seed = 1;
	if (seconds < 1 || seconds > MAX_FUZZ_SECONDS)
		seconds = DEFAULT_FUZZ_SECONDS;
	fp->seed = seed;
	fp->seconds = seconds;
	fp->nrepro = repro_parse(fp->repro);
	if (thread_parse(fp))
		fp->broken = true;
	if (fp->nrepro < 0)
		fp->broken = true;
}

void fuzz_fault_check(struct fuzz_params *fp)
{
	char want[32], have[32] = "";

	if (!cmdline_get(ZCB_KEY_FAULT, want, sizeof(want)))
		return;
	if (zcp_param_get("fault", have, sizeof(have)) || strcmp(have, want)) {
		ktap_print_msg("fault %s: " ZCP_PARAM_DIR "/fault is \"%s\" (%m)",
			       want, have);
		fp->broken = true;
	} else {
		ktap_print_msg("fault %s injected into zcpool", want);
	}
}
