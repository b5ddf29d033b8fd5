// SPDX-License-Identifier: GPL-2.0
/*
 * The accounting matrix (docs/matrix-protocol.md): scenarios the runner runs
 * once per variant of zcbench.variants, each as the KTAP subtest
 * <variant>/<scenario>, with the module loaded as variant=<variant>.
 *
 * Each scenario runs in its own process and in fresh cgroups
 * zc-<variant>-<scenario> (and zc-<variant>-<scenario>-b), removed at the
 * end. It measures and prints raw numbers as "# metric" lines; the host
 * judges them. The guest's own cases only say whether a measurement is
 * valid (the receive worked, the pipes took the pages, ...), never whether
 * the accounting is right. Every cgroup sample waits zcbench.settle_ms and
 * has zcpool flush memcg's rstat (and drain its per-cpu charge stock, where
 * the module can: the metric stock_drain), unless zcbench.flush_stats=0.
 * The module's own counters are reported as mod.<counter>, in pages: a
 * cross-check of the cgroup's figures, never the measurement.
 *
 * The scenarios are in the files of matrix/ by what they measure; the
 * queue they receive through is lib/rxq.h's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "ktap.h"
#include "matrix.h"
#include "zcpool_util.h"

void mx_case(struct mx *m, bool ok, const char *name)
{
	ktap_test_result(ok, ++m->ncase, name, NULL);
	m->all &= ok;
}

int mx_setup(struct mx *m, const char *name, const struct zc_config *cfg,
	     unsigned int cases, bool two)
{
	char base[NAME_MAX + 1];
	long drain;

	m->cfg = cfg;
	m->variant = cfg->variant;
	m->ncase = 0;
	m->all = true;
	ktap_print_plan(cases);
	ktap_metric("page_size", ZCP_PAGE);
	ktap_metric("nr_cpus", sysconf(_SC_NPROCESSORS_ONLN));
	/* Whether a flush also drains memcg's per-cpu charge stock. */
	drain = cg_read_key_long(DEBUGFS, ZCPOOL_DEBUGFS_STATS, "stock_drain");
	ktap_metric("stock_drain", drain > 0);

	snprintf(base, sizeof(base), "zc-%s-%s", m->variant, name);
	cg_name(m->cg, base);
	snprintf(base, sizeof(base), "zc-%s-%s-b", m->variant, name);
	cg_name(m->cg_b, base);
	if ((cg_create(m->cg) && errno != EEXIST) ||
	    (two && cg_create(m->cg_b) && errno != EEXIST)) {
		ktap_print_msg("create %s: %m", m->cg);
		return -1;
	}
	return 0;
}

int mx_finish(struct mx *m, unsigned int cases, const char *const *names)
{
	while (m->ncase < cases)
		mx_case(m, false, names[m->ncase]);
	if (cg_enter(CG_ROOT, 0))
		ktap_print_msg("back to %s: %m", CG_ROOT);
	if (cg_destroy(m->cg_b) || cg_destroy(m->cg))
		ktap_print_msg("remove %s: %m", m->cg);
	return m->all ? 0 : 1;
}

int mx_enter(const char *cg)
{
	if (cg_enter(cg, 0)) {
		ktap_print_msg("enter %s: %m", cg);
		return -1;
	}
	return 0;
}

long mx_sample(struct mx *m, const char *cg, const char *point,
	       struct memcg_sample *s)
{
	struct memcg_sample tmp;

	if (!s)
		s = &tmp;
	if (memcg_sample(cg, m->cfg, s))
		return -1;
	memcg_sample_print(point, s);
	return s->memory_current;
}


pid_t mx_fork(void)
{
	pid_t pid = fork();

	if (pid < 0)
		ktap_print_msg("fork: %m");
	return pid;
}

void mx_hold(int rd)
{
	char c;

	while (read(rd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}
