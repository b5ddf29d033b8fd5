// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool page pool: the driver's private allocator.
 *
 * The pool keeps its own reference on every page it owns (the driver's
 * bias), so a page never goes back to the page allocator while the pool
 * knows it. Pages handed to user space by RECEIVE sit on the out list; a
 * page is free for recycling when its refcount is back to the pool's own
 * reference, the check mlx5's page cache and page_pool make. That moment is
 * the "free" phase of this allocator (recycle.c), where pool-free, batch
 * and steal drop the page's charge.
 *
 * Here: the free list, taking pages for FEED and giving them back, the
 * pool_pages limit, the periodic recycling work, and the pool's start and
 * end (where pages still referenced elsewhere are handed over).
 */
#include "zcpool.h"

#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

struct zcpool_pool zcpool_pool = {
	.lock = __SPIN_LOCK_UNLOCKED(zcpool_pool.lock),
	.free = LIST_HEAD_INIT(zcpool_pool.free),
	.out = LIST_HEAD_INIT(zcpool_pool.out),
	.scan_lock = __MUTEX_INITIALIZER(zcpool_pool.scan_lock),
};

/**
 * zcpool_page_free() - drop the pool's reference on a page and forget it
 * @d: a page on no list, out of the counters
 *
 * The page goes back to the page allocator once nobody else holds it.
 */
void zcpool_page_free(struct zcpool_page *d)
{
	put_page(d->page);
	kfree(d);
}

/* A new page for the pool, refcount 1: the pool's own reference. */
static struct zcpool_page *zcpool_page_alloc(void)
{
	struct zcpool_page *d;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return NULL;
	d->page = alloc_page(GFP_KERNEL | __GFP_NOWARN);
	if (!d->page) {
		kfree(d);
		return NULL;
	}
	INIT_LIST_HEAD(&d->node);
	INIT_LIST_HEAD(&d->late);
	return d;
}

/* Move up to n pages of the free list to list; returns how many. */
static unsigned long zcpool_take_free(struct list_head *list, unsigned long n)
{
	struct zcpool_page *d, *tmp;
	unsigned long got = 0;

	spin_lock(&zcpool_pool.lock);
	list_for_each_entry_safe(d, tmp, &zcpool_pool.free, node) {
		if (got == n)
			break;
		list_move_tail(&d->node, list);
		zcpool_pool.nr_free--;
		got++;
	}
	spin_unlock(&zcpool_pool.lock);
	return got;
}

/* Allocate up to n new pages within pool_pages; returns how many. */
static unsigned long zcpool_grow(struct list_head *list, unsigned long n)
{
	struct zcpool_page *d;
	unsigned long got;

	for (got = 0; got < n; got++) {
		spin_lock(&zcpool_pool.lock);
		if (zcpool_pool.total >= zcpool_pool.max) {
			spin_unlock(&zcpool_pool.lock);
			break;
		}
		zcpool_pool.total++;
		spin_unlock(&zcpool_pool.lock);

		d = zcpool_page_alloc();
		if (!d) {
			spin_lock(&zcpool_pool.lock);
			zcpool_pool.total--;
			spin_unlock(&zcpool_pool.lock);
			break;
		}
		list_add_tail(&d->node, list);
	}
	return got;
}

/**
 * zcpool_pool_get() - take pages for FEED
 * @list: the pages are added to it, in state FREE, uncharged, refcount 1
 * @n: how many
 *
 * Uses the free list, then grows the pool up to pool_pages, then recycles.
 *
 * Return: 0, or -ENOBUFS with @list unchanged if the pool cannot supply
 * @n pages.
 */
int zcpool_pool_get(struct list_head *list, unsigned long n)
{
	struct zcpool_page *d, *tmp;
	LIST_HEAD(got);
	unsigned long nr;

	nr = zcpool_take_free(&got, n);
	if (nr < n)
		nr += zcpool_grow(&got, n - nr);
	if (nr < n) {
		zcpool_pool_recycle(NULL);
		nr += zcpool_take_free(&got, n - nr);
	}
	if (nr < n) {
		list_for_each_entry_safe(d, tmp, &got, node) {
			list_del_init(&d->node);
			zcpool_pool_put(d);
		}
		return -ENOBUFS;
	}
	list_splice_tail(&got, list);
	return 0;
}

/**
 * zcpool_pool_put_locked() - zcpool_pool_put() under zcpool_pool.lock
 * @d: the page, out of the counters already
 *
 * Return: true if the pool is above pool_pages and @d is to be freed (with
 * zcpool_page_free(), after the unlock) instead of going to the free list.
 */
bool zcpool_pool_put_locked(struct zcpool_page *d)
{
	d->state = ZCPOOL_PAGE_FREE;
	d->q = NULL;
	d->sock = false;
	if (zcpool_pool.total > zcpool_pool.max) {
		zcpool_pool.total--;
		return true;
	}
	list_add(&d->node, &zcpool_pool.free);
	zcpool_pool.nr_free++;
	return false;
}

/**
 * zcpool_pool_put() - give a page back to the free list
 * @d: the page: on no list, in no unit, uncharged, mapped nowhere and with
 *	only the pool's reference
 *
 * The page is freed instead if the pool is above pool_pages.
 */
void zcpool_pool_put(struct zcpool_page *d)
{
	bool release;

	spin_lock(&zcpool_pool.lock);
	zcpool_stats_page_del(d);
	release = zcpool_pool_put_locked(d);
	spin_unlock(&zcpool_pool.lock);
	if (release)
		zcpool_page_free(d);
}

/**
 * zcpool_pool_set_max() - set pool_pages, freeing free pages above it
 * @max: the new limit, in pages
 *
 * Return: 0, or -EINVAL if @max is 0.
 */
int zcpool_pool_set_max(unsigned long max)
{
	struct zcpool_page *d, *tmp;
	LIST_HEAD(excess);

	if (!max)
		return -EINVAL;
	spin_lock(&zcpool_pool.lock);
	zcpool_pool.max = max;
	list_for_each_entry_safe(d, tmp, &zcpool_pool.free, node) {
		if (zcpool_pool.total <= max)
			break;
		list_move(&d->node, &excess);
		zcpool_pool.nr_free--;
		zcpool_pool.total--;
	}
	spin_unlock(&zcpool_pool.lock);

	list_for_each_entry_safe(d, tmp, &excess, node)
		zcpool_page_free(d);
	return 0;
}

static void zcpool_pool_work(struct work_struct *work)
{
	unsigned int ms = READ_ONCE(zcpool_recycle_ms);

	zcpool_pool_recycle(NULL);
	if (ms)
		schedule_delayed_work(&zcpool_pool.work, msecs_to_jiffies(ms));
}

/**
 * zcpool_pool_init() - start the pool
 * @max: pool_pages
 *
 * Return: 0, or -EINVAL if @max is 0.
 */
int zcpool_pool_init(unsigned long max)
{
	if (!max)
		return -EINVAL;
	zcpool_pool.max = max;
	INIT_DELAYED_WORK(&zcpool_pool.work, zcpool_pool_work);
	schedule_delayed_work(&zcpool_pool.work,
			      msecs_to_jiffies(zcpool_recycle_ms ?: 1000));
	return 0;
}

/*
 * A page still referenced elsewhere (say, pinned in a pipe) at unload is
 * handed over: its memcg tag is dropped (it is mapped nowhere, the queues
 * and so their mappings are gone), the pool's reference put, and whoever
 * holds the last reference frees it. A kmem charge stays with the page:
 * the pinner keeps paying until then, and the free path uncharges it.
 */
static void zcpool_hand_over(struct zcpool_page *d)
{
	if (page_mapped(d->page)) {
		/* Cannot happen without a queue; leak rather than corrupt. */
		pr_err("page %lx still mapped at unload, leaking it\n",
		       page_to_pfn(d->page));
		kfree(d);
		return;
	}
	if (!zcpool_memcg_kmem(d))
		zcpool_memcg_uncharge_page(d);
	zcpool_page_free(d);
}

/**
 * zcpool_pool_exit() - free the pool; no queue may be open
 */
void zcpool_pool_exit(void)
{
	struct zcpool_page *d, *tmp;
	LIST_HEAD(all);

	cancel_delayed_work_sync(&zcpool_pool.work);
	zcpool_pool_recycle(NULL);

	mutex_lock(&zcpool_pool.scan_lock);
	spin_lock(&zcpool_pool.lock);
	list_splice_init(&zcpool_pool.free, &all);
	list_splice_init(&zcpool_pool.out, &all);
	zcpool_pool.nr_free = 0;
	zcpool_pool.total = 0;
	spin_unlock(&zcpool_pool.lock);
	mutex_unlock(&zcpool_pool.scan_lock);

	/* Let rmap removals of the last unmaps finish (see recycle.c). */
	synchronize_rcu_expedited();
	list_for_each_entry_safe(d, tmp, &all, node) {
		list_del(&d->node);
		zcpool_hand_over(d);
	}
}
