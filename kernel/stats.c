// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool statistics: the page counters of each queue and of the pool, the
 * STATS ioctl and the global view in debugfs (zcpool/stats).
 *
 * Every change of a page's state, socket coverage or own charge is made
 * between zcpool_stats_page_del() and zcpool_stats_page_add() under
 * zcpool_pool.lock, so the counters are exact at every moment the lock is
 * free. A page is
 *   double-charged  while both its unit's socket charge and its own charge
 *                   cover it;
 *   under-charged   while it is out of the free list for a queue with a
 *                   memcg, and neither a socket charge nor its own charge
 *                   covers it (for unaccounted: from consumption to
 *                   recycling; for v1/v2: pages still pinned after the last
 *                   unmap; for v2: also between insert and the late charge).
 *                   A page the pool has back (mapped nowhere, no other
 *                   reference) is nobody's, and not counted while its
 *                   charge is dropped at recycling.
 * The peaks are the largest values seen at those moments. With the fault
 * counters-lie injected, every report (STATS, PAUSE_WAIT, debugfs) shows
 * the double- and under-charge counters as 0; they are still kept.
 */
#include "zcpool.h"

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>

static struct dentry *zcpool_debugfs;

static void zcpool_acct_mod(struct zcpool_acct *a, struct zcpool_page *d,
			    int sign)
{
	bool charged = d->charge != ZCPOOL_CHARGE_NONE &&
		       d->charge != ZCPOOL_CHARGE_TAG;

	if (d->state == ZCPOOL_PAGE_FREE)
		return;
	if (d->state == ZCPOOL_PAGE_QUEUED)
		a->queued += sign;
	if (d->state == ZCPOOL_PAGE_OUT)
		a->out += sign;
	a->sock += sign * d->sock;
	a->charged += sign * charged;
	a->dbl += sign * (d->sock && charged);
	a->under += sign * (d->accountable && !d->sock && !charged);
	if (a->dbl > a->dbl_peak)
		a->dbl_peak = a->dbl;
	if (a->under > a->under_peak)
		a->under_peak = a->under;
}

/**
 * zcpool_stats_page_del() - take a page out of the counters before a change
 * @d: the page; zcpool_pool.lock held
 */
void zcpool_stats_page_del(struct zcpool_page *d)
{
	lockdep_assert_held(&zcpool_pool.lock);
	zcpool_acct_mod(&zcpool_pool.acct, d, -1);
	if (d->q)
		zcpool_acct_mod(&d->q->acct, d, -1);
}

/**
 * zcpool_stats_page_add() - count a page again after a change
 * @d: the page; zcpool_pool.lock held
 */
void zcpool_stats_page_add(struct zcpool_page *d)
{
	lockdep_assert_held(&zcpool_pool.lock);
	zcpool_acct_mod(&zcpool_pool.acct, d, 1);
	if (d->q)
		zcpool_acct_mod(&d->q->acct, d, 1);
}

static void zcpool_counters_fill(struct zcpool_counters *c,
				 const struct zcpool_acct *a)
{
	/* The injected fault counters-lie: the charges are what they are. */
	bool lie = READ_ONCE(zcpool_fault) == ZCPOOL_FAULT_LYING_COUNTERS;

	c->queued = a->queued;
	c->out = a->out;
	c->sock = a->sock;
	c->charged = a->charged;
	c->double_now = lie ? 0 : a->dbl;
	c->double_peak = lie ? 0 : a->dbl_peak;
	c->under_now = lie ? 0 : a->under;
	c->under_peak = lie ? 0 : a->under_peak;
	c->fed = a->fed;
	c->received = a->received;
	c->copied = a->copied;
	c->charge_failures = a->charge_failures;
	c->recycles = a->recycles;
}

/**
 * zcpool_stats_fill() - the STATS of a queue and of the pool, as reported
 *	(with counters-lie, the double and under counters read 0)
 * @q: the queue, or NULL for the pool only
 * @st: filled in
 */
void zcpool_stats_fill(struct zcpool_queue *q, struct zcpool_stats *st)
{
	struct zcpool_acct pool, queue = {};

	memset(st, 0, sizeof(*st));
	if (q) {
		st->queue_id = q->id;
		st->variant = q->variant;
		st->memcg_id = zcpool_memcg_id(q->memcg);
		st->queue.mapped = zcpool_pool_mapped(q);
	}
	st->pool.mapped = zcpool_pool_mapped(NULL);

	spin_lock(&zcpool_pool.lock);
	pool = zcpool_pool.acct;
	if (q)
		queue = q->acct;
	st->pool_total = zcpool_pool.total;
	st->pool_free = zcpool_pool.nr_free;
	st->pool_max = zcpool_pool.max;
	spin_unlock(&zcpool_pool.lock);

	zcpool_counters_fill(&st->pool, &pool);
	st->pool.mapped = min(st->pool.mapped, st->pool.out);
	if (q) {
		zcpool_counters_fill(&st->queue, &queue);
		st->queue.mapped = min(st->queue.mapped, st->queue.out);
	}
}

static int zcpool_stats_show(struct seq_file *m, void *v)
{
	struct zcpool_stats st;
	const struct zcpool_counters *c = &st.pool;

	zcpool_stats_fill(NULL, &st);
	seq_printf(m, "variant %s\n", zcpool_variant_name(zcpool_dev_variant()));
	seq_printf(m, "pool_total %llu\npool_free %llu\npool_max %llu\n",
		   st.pool_total, st.pool_free, st.pool_max);
	seq_printf(m, "queued %llu\nout %llu\nmapped %llu\n",
		   c->queued, c->out, c->mapped);
	seq_printf(m, "sock %llu\ncharged %llu\n", c->sock, c->charged);
	seq_printf(m, "double_now %llu\ndouble_peak %llu\n",
		   c->double_now, c->double_peak);
	seq_printf(m, "under_now %llu\nunder_peak %llu\n",
		   c->under_now, c->under_peak);
	seq_printf(m, "fed %llu\nreceived %llu\ncopied %llu\n",
		   c->fed, c->received, c->copied);
	seq_printf(m, "charge_failures %llu\nrecycles %llu\n",
		   c->charge_failures, c->recycles);
	seq_printf(m, "stock_drain %d\n", zcpool_memcg_can_drain_stock());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(zcpool_stats);

static ssize_t zcpool_flush_write(struct file *file, const char __user *buf,
				  size_t len, loff_t *ppos)
{
	int ret = zcpool_memcg_flush_stats();

	return ret ? ret : len;
}

static const struct file_operations zcpool_flush_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = zcpool_flush_write,
};

/**
 * zcpool_stats_init() - create the debugfs view
 *
 * zcpool/stats shows the pool's counters and "stock_drain 0|1"; writing
 * anything to zcpool/flush_memcg_stats drains memcg's per-cpu charge stock
 * (where stock_drain is 1) and flushes memcg's rstat (see
 * zcpool_memcg_flush_stats()), so the guest samples exact memory.current
 * and memory.stat values without waiting for the periodic flush. debugfs
 * is optional: failing to create it is not an error.
 *
 * Return: 0.
 */
int zcpool_stats_init(void)
{
	zcpool_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("stats", 0400, zcpool_debugfs, NULL,
			    &zcpool_stats_fops);
	debugfs_create_file("flush_memcg_stats", 0200, zcpool_debugfs, NULL,
			    &zcpool_flush_fops);
	return 0;
}

/**
 * zcpool_stats_exit() - remove the debugfs view
 */
void zcpool_stats_exit(void)
{
	debugfs_remove_recursive(zcpool_debugfs);
}
