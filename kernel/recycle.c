// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool recycling: pages out come back to the pool.
 *
 * A page is free for recycling when its refcount is back to the pool's own
 * reference (pool.c); a recycling pass moves such pages from the out list
 * to the free list and drops the charge they still have.
 *
 * v1 and v2 drop their charge at the last unmap instead. The original
 * patches did it at the end of page_remove_file_rmap(); a module cannot
 * hook there, so the pool emulates it: a recycling pass that sees the
 * mapcount of such a page at zero, even while other references (a pipe, a
 * GUP pin) remain, uncharges it after an expedited RCU grace period (see
 * zcpool_pool_recycle()). A page mapped nowhere is never mapped again
 * before recycling: only RECEIVE maps pool pages, and only queued ones.
 *
 * Recycling runs on allocation (when the free list and the pool_pages limit
 * cannot satisfy a FEED), on the RECLAIM ioctl and every recycle_ms. The
 * injected bugs of the fault parameter that fuzz must catch (orphan-leak,
 * orphan-oops, orphan-uaf) are in the pass too.
 */
#include "zcpool.h"

#include <linux/mm.h>
#include <linux/page_ref.h>
#include <linux/rcupdate.h>

/*
 * The page is the pool's alone again (mapped nowhere, no other reference):
 * from now on it is nobody's, so dropping its charge does not make it
 * under-charged.
 */
static void zcpool_page_retire(struct zcpool_page *d)
{
	spin_lock(&zcpool_pool.lock);
	zcpool_stats_page_del(d);
	d->accountable = false;
	zcpool_stats_page_add(d);
	spin_unlock(&zcpool_pool.lock);
}

static void zcpool_uncharge_one(struct zcpool_page *d)
{
	spin_lock(&zcpool_pool.lock);
	zcpool_stats_page_del(d);
	spin_unlock(&zcpool_pool.lock);

	zcpool_memcg_uncharge_page(d);

	spin_lock(&zcpool_pool.lock);
	zcpool_stats_page_add(d);
	spin_unlock(&zcpool_pool.lock);
}

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
static bool zcpool_fault_orphan(struct zcpool_page *d)
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
static void zcpool_fault_uaf(struct zcpool_page *d)
{
	struct zcpool_queue *freed = d->freed_q;

	if (!freed)
		return;
	d->freed_q = NULL;
	pr_info_ratelimited("fault orphan-uaf: page %lx reads its freed queue %llu\n",
			    page_to_pfn(d->page),
			    (unsigned long long)READ_ONCE(freed->id));
}

/*
 * Is the page the pool's alone again (refcount back to the pool's own
 * reference)? An acquire load: the last holder dropped its reference with
 * a fully ordered atomic, and what the pool does next with the page (clear
 * memcg_data, overwrite the payload at the next FEED) are stores, which
 * must not be seen before it - smp_rmb() would order later loads only.
 */
static bool zcpool_page_idle(struct zcpool_page *d)
{
	return atomic_read_acquire(&d->page->_refcount) == 1;
}

/*
 * The pages on done are the pool's alone again (each idle, mapped nowhere,
 * on no other list): retire them, drop the charge they still have, and
 * give them back to the free list. The pool lock is taken twice for the
 * whole list, and the charges dropped between (zcpool_memcg_uncharge_list():
 * at once where the design charged in bulk); from the first lock to the
 * second the pages are out of the counters, as a page being uncharged
 * always was. Called under the scan lock, which keeps each page's queue.
 */
static void zcpool_recycle_done(struct list_head *done,
				struct zcpool_reclaim *res)
{
	struct zcpool_page *d, *tmp;
	LIST_HEAD(release);

	list_for_each_entry_safe(d, tmp, done, node) {
		if (zcpool_fault_orphan(d)) {
			list_del_init(&d->node);
			continue;
		}
		zcpool_fault_uaf(d);
	}

	spin_lock(&zcpool_pool.lock);
	list_for_each_entry(d, done, node) {
		zcpool_stats_page_del(d);
		/* From now on it is nobody's: no longer under-charged. */
		d->accountable = false;
		if (d->charge != ZCPOOL_CHARGE_NONE)
			res->uncharged++;
	}
	spin_unlock(&zcpool_pool.lock);

	zcpool_memcg_uncharge_list(done);

	spin_lock(&zcpool_pool.lock);
	list_for_each_entry_safe(d, tmp, done, node) {
		list_del_init(&d->node);
		zcpool_pool.acct.recycles++;
		if (d->q)
			d->q->acct.recycles++;
		if (zcpool_pool_put_locked(d))
			list_add(&d->node, &release);
		res->recycled++;
	}
	spin_unlock(&zcpool_pool.lock);

	list_for_each_entry_safe(d, tmp, &release, node) {
		list_del(&d->node);
		zcpool_page_free(d);
	}
}

/**
 * zcpool_pool_recycle() - one recycling pass over the pages out
 * @r: what was done, or NULL
 *
 * Drops the charge of v1/v2 pages mapped nowhere any more, then recycles
 * the pages whose only reference is the pool's, dropping their remaining
 * charge.
 */
void zcpool_pool_recycle(struct zcpool_reclaim *r)
{
	struct zcpool_reclaim res = {};
	struct zcpool_page *d, *tmp;
	LIST_HEAD(unmapped);
	LIST_HEAD(done);

	mutex_lock(&zcpool_pool.scan_lock);
	spin_lock(&zcpool_pool.lock);
	list_for_each_entry_safe(d, tmp, &zcpool_pool.out, node) {
		/* Its unit is still being consumed, or its call not done. */
		if (d->unit || d->in_call)
			continue;
		if (zcpool_memcg_until_unmap(d)) {
			if (!page_mapped(d->page))
				list_move_tail(&d->node, &unmapped);
		} else if (zcpool_page_idle(d)) {
			list_move_tail(&d->node, &done);
		}
	}
	spin_unlock(&zcpool_pool.lock);

	if (!list_empty(&unmapped)) {
		/*
		 * The last unmap was seen, but the rmap removal that brought
		 * the mapcount to zero may still be updating NR_FILE_MAPPED
		 * of folio_memcg(). It runs under the page table lock, with
		 * preemption disabled: a grace period waits for it, and only
		 * then may memcg_data change. An expedited one: the same
		 * guarantee without waiting for the tick, a wait the posted
		 * patches, which uncharged in the rmap code itself, never had.
		 */
		synchronize_rcu_expedited();
		list_for_each_entry_safe(d, tmp, &unmapped, node) {
			/* Mapped nowhere: no new reference can appear. */
			bool idle = zcpool_page_idle(d);

			if (idle)
				zcpool_page_retire(d);
			zcpool_uncharge_one(d);
			res.uncharged++;
			if (idle) {
				list_move_tail(&d->node, &done);
			} else {
				spin_lock(&zcpool_pool.lock);
				list_move_tail(&d->node, &zcpool_pool.out);
				spin_unlock(&zcpool_pool.lock);
			}
		}
	}

	zcpool_recycle_done(&done, &res);

	spin_lock(&zcpool_pool.lock);
	list_for_each_entry(d, &zcpool_pool.out, node)
		res.outstanding++;
	spin_unlock(&zcpool_pool.lock);
	mutex_unlock(&zcpool_pool.scan_lock);
	if (r)
		*r = res;
}

/**
 * zcpool_pool_forget_queue() - a queue is going away: its pages still out
 *	stop counting for it
 * @q: the queue
 */
void zcpool_pool_forget_queue(struct zcpool_queue *q)
{
	struct zcpool_page *d;

	/* The scan lock keeps pages on a pass's private lists out of it. */
	mutex_lock(&zcpool_pool.scan_lock);
	spin_lock(&zcpool_pool.lock);
	list_for_each_entry(d, &zcpool_pool.out, node) {
		if (d->q == q) {
			zcpool_stats_page_del(d);
			d->q = NULL;
			if (READ_ONCE(zcpool_fault) == ZCPOOL_FAULT_UAF_ON_ORPHANS)
				d->freed_q = q;
			zcpool_stats_page_add(d);
		}
	}
	spin_unlock(&zcpool_pool.lock);
	mutex_unlock(&zcpool_pool.scan_lock);
}

/**
 * zcpool_pool_mapped() - pages out that some page table maps now
 * @q: count only this queue's pages, or NULL for all
 *
 * Return: the number of pages, a snapshot.
 */
unsigned long zcpool_pool_mapped(struct zcpool_queue *q)
{
	struct zcpool_page *d;
	unsigned long n = 0;

	spin_lock(&zcpool_pool.lock);
	list_for_each_entry(d, &zcpool_pool.out, node) {
		if ((!q || d->q == q) && page_mapped(d->page))
			n++;
	}
	spin_unlock(&zcpool_pool.lock);
	return n;
}
