// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool's injected bugs on the recycling path (module parameter fault,
 * kernel/README.md "Injected faults"): what the recycling pass (pool.c)
 * does, with fault=orphan-leak, orphan-oops or orphan-uaf, to a page whose
 * queue was released while the page was out. The other faults live where
 * they act: counters-lie in stats.c, slow-release in rx.c, orphan-uaf's
 * stale queue pointer in pool.c.
 */
#include "zcpool.h"

#include <linux/bug.h>
#include <linux/mm.h>
#include <linux/printk.h>

/**
 * zcpool_fault_orphan() - the injected bugs, on a page recycled after its
 *	queue's release
 * @d: a page about to be recycled, on no list
 *
 * A page that was still out when its queue was released (mapped, pinned,
 * or not recycled yet) is, with the module parameter fault=orphan-leak,
 * dropped on the floor: not uncharged, not counted back, never freed. The
 * counters keep it as out (and charged, if it was), which is what zcbench
 * fuzz must catch. With fault=orphan-oops it hits BUG().
 *
 * Return: true if the page was leaked and must not be touched again.
 */
bool zcpool_fault_orphan(struct zcpool_page *d)
{
	enum zcpool_fault fault = READ_ONCE(zcpool_fault);

	if ((fault != ZCPOOL_FAULT_LEAK_ORPHANS &&
	     fault != ZCPOOL_FAULT_OOPS_ON_ORPHANS) || d->q)
		return false;
	BUG_ON(fault == ZCPOOL_FAULT_OOPS_ON_ORPHANS);
	pr_info_ratelimited("fault orphan-leak: leaking page %lx\n",
			    page_to_pfn(d->page));
	return true;
}

/**
 * zcpool_fault_uaf() - the injected use-after-free, on a page recycled
 *	after its queue's release
 * @d: a page about to be recycled, on no list
 *
 * With fault=orphan-uaf, zcpool_pool_forget_queue() left the page a pointer
 * to its queue, which zcpool_release() has freed since: read its id. KASAN
 * reports the read (slab-use-after-free); without KASAN the stale value is
 * thrown away and nothing else changes.
 */
void zcpool_fault_uaf(struct zcpool_page *d)
{
	struct zcpool_queue *freed = d->freed_q;

	if (!freed)
		return;
	d->freed_q = NULL;
	pr_info_ratelimited("fault orphan-uaf: page %lx reads its freed queue %llu\n",
			    page_to_pfn(d->page),
			    (unsigned long long)READ_ONCE(freed->id));
}
