// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool receive path: FEED (the NIC fills pages and queues them in
 * skb-like units, charged as socket memory), RECEIVE (modelled on
 * tcp_zerocopy_receive()) and read() (the copy fallback).
 *
 * RECEIVE maps queued pages in batches of ZCPOOL_BATCH_PAGES with
 * vm_insert_pages(), charging them per variant (batch.c). Whatever is left
 * of a unit's socket charge is released when the unit is fully consumed,
 * at the end of the RECEIVE call: where TCP frees consumed skbs
 * (tcp_recv_skb() after the last batch). Then comes the pause point
 * RELEASED, then v2's late charge. Pages that were charged but not
 * inserted are uncharged again and stay queued, as
 * tcp_zerocopy_vm_insert_batch() unrolls a partial insert.
 *
 * Differences from tcp_zerocopy_receive(): a batch may span units (the
 * per-page state allows unrolling across them); nothing is zapped: TCP
 * zaps the range before inserting (or, with
 * TCP_RECEIVE_ZEROCOPY_FLAG_TLB_CLEAN_HINT, zaps and retries a busy PTE),
 * RECEIVE stops with EBUSY on a busy PTE instead; the skip hint is the
 * rest of the unit at the head of the queue.
 */
#include "zcpool.h"

#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

/**
 * zcpool_rx_queue_init() - set up the receive side of a new queue
 * @q: the queue
 */
void zcpool_rx_queue_init(struct zcpool_queue *q)
{
	mutex_init(&q->lock);
	INIT_LIST_HEAD(&q->units);
	zcpool_pause_init(q);
}

static void zcpool_fill(struct zcpool_page *d, u64 qid, u64 pattern)
{
	u64 base = zcpool_payload_base(qid, d->seq, pattern);
	__le64 *w = kmap_local_page(d->page);
	unsigned int i;

	for (i = 0; i < ZCPOOL_HDR_WORDS; i++)
		w[i] = cpu_to_le64(zcpool_payload_word(qid, d->seq, pattern, i));
	for (; i < PAGE_SIZE / sizeof(*w); i++)
		w[i] = cpu_to_le64(base + i * ZCPOOL_PAYLOAD_STEP);
	kunmap_local(w);
}

/*
 * Free a unit: release what is left of its socket charge and give back its
 * pages that are not out (copied, or never consumed).
 *
 * Which pages are out is read under the pool lock, in the same pass that
 * clears their unit: from then on a recycling pass (another queue's FEED,
 * the pool's work item) may take an out page and put it back, and a FEED
 * may have it again, QUEUED - read later, its state would send it to the
 * free list a second time while it sits on another list (the debug 6.12
 * kernel's KASAN caught the FEED's list_del_init() writing into a stale
 * stack frame, fuzzing pool-free on 4 vCPUs).
 */
static void zcpool_unit_release(struct zcpool_queue *q, struct zcpool_unit *u)
{
	unsigned int i;

	spin_lock(&zcpool_pool.lock);
	for (i = 0; i < u->nr; i++) {
		struct zcpool_page *d = u->pages[i];

		zcpool_stats_page_del(d);
		d->sock = false;
		d->unit = NULL;
		zcpool_stats_page_add(d);
		/* The pool's now: not this unit's to give back. */
		if (d->state == ZCPOOL_PAGE_OUT)
			u->pages[i] = NULL;
	}
	spin_unlock(&zcpool_pool.lock);
	if (READ_ONCE(zcpool_fault) == ZCPOOL_FAULT_RELEASE_SLOWLY)
		usleep_range(2000, 2500);
	zcpool_memcg_sock_uncharge(q->memcg, u->sock_pages);

	for (i = 0; i < u->nr; i++) {
		if (u->pages[i])
			zcpool_pool_put(u->pages[i]);
	}
	list_del(&u->node);
	kfree(u);
}

/**
 * zcpool_rx_queue_release() - drop everything still queued
 * @q: the queue, no longer used by anyone
 */
void zcpool_rx_queue_release(struct zcpool_queue *q)
{
	struct zcpool_unit *u, *tmp;

	list_for_each_entry_safe(u, tmp, &q->units, node)
		zcpool_unit_release(q, u);
	q->queued_pages = 0;
	zcpool_pool_forget_queue(q);
}

static int zcpool_feed_check(struct zcpool_feed *f)
{
	if (f->flags || !f->bytes || f->bytes > ZCPOOL_MAX_IO_BYTES ||
	    f->bytes & ~PAGE_MASK || f->unit_pages > ZCPOOL_MAX_UNIT_PAGES)
		return -EINVAL;
	if (!f->unit_pages)
		f->unit_pages = ZCPOOL_UNIT_PAGES;
	return 0;
}

/**
 * zcpool_rx_feed() - FEED: fill pool pages and queue them
 * @q: the queue
 * @f: the request; first_seq and queued_bytes are filled in
 *
 * Return: 0, -EINVAL for a bad request, -ENOBUFS if the pool is exhausted,
 * -ENOMEM if the socket charge or a unit allocation fails, -EINTR if killed
 * while a RECEIVE of the queue holds it. Nothing is queued on error.
 */
int zcpool_rx_feed(struct zcpool_queue *q, struct zcpool_feed *f)
{
	struct zcpool_unit *u, *utmp;
	struct zcpool_page *d, *tmp;
	unsigned long n, left, k, i;
	LIST_HEAD(pages);
	LIST_HEAD(units);
	int ret;

	ret = zcpool_feed_check(f);
	if (ret)
		return ret;
	n = f->bytes >> PAGE_SHIFT;

	/* Killable: a RECEIVE of the queue may be stopped at a pause point. */
	if (mutex_lock_killable(&q->lock))
		return -EINTR;
	ret = zcpool_pool_get(&pages, n);
	if (ret)
		goto err_unlock;
	for (left = n; left; left -= k) {
		k = min_t(unsigned long, left, f->unit_pages);
		u = kzalloc(struct_size(u, pages, k), GFP_KERNEL);
		if (!u) {
			ret = -ENOMEM;
			goto err_free_units;
		}
		u->nr = k;
		u->sock_pages = q->memcg ? k : 0;
		list_add_tail(&u->node, &units);
	}
	if (!zcpool_memcg_sock_charge(q->memcg, n, false)) {
		ret = -ENOMEM;
		goto err_free_units;
	}

	f->first_seq = q->next_seq;
	list_for_each_entry(u, &units, node) {
		for (i = 0; i < u->nr; i++) {
			d = list_first_entry(&pages, struct zcpool_page, node);
			list_del_init(&d->node);
			d->seq = q->next_seq++;
			zcpool_fill(d, q->id, f->pattern);
			u->pages[i] = d;
		}
	}

	spin_lock(&zcpool_pool.lock);
	list_for_each_entry(u, &units, node) {
		for (i = 0; i < u->nr; i++) {
			d = u->pages[i];
			d->state = ZCPOOL_PAGE_QUEUED;
			d->q = q;
			d->unit = u;
			d->sock = q->memcg;
			d->accountable = q->memcg;
			zcpool_stats_page_add(d);
		}
	}
	q->acct.fed += n;
	zcpool_pool.acct.fed += n;
	spin_unlock(&zcpool_pool.lock);

	list_splice_tail(&units, &q->units);
	q->queued_pages += n;
	f->queued_bytes = (u64)q->queued_pages << PAGE_SHIFT;
	mutex_unlock(&q->lock);
	return 0;

err_free_units:
	list_for_each_entry_safe(u, utmp, &units, node)
		kfree(u);
	list_for_each_entry_safe(d, tmp, &pages, node) {
		list_del_init(&d->node);
		zcpool_pool_put(d);
	}
err_unlock:
	mutex_unlock(&q->lock);
	return ret;
}

static int zcpool_receive_check(struct zcpool_receive *r)
{
	bool at_batch = r->flags & ZCPOOL_RECEIVE_PAUSE_INSERTED;

	if (r->flags & ~ZCPOOL_RECEIVE_FLAGS || at_batch != !!r->pause_batch)
		return -EINVAL;
	if (!r->length || r->length > ZCPOOL_MAX_IO_BYTES ||
	    r->length & ~PAGE_MASK || r->address & ~PAGE_MASK ||
	    r->address + r->length < r->address ||
	    r->address + r->length > TASK_SIZE)
		return -EINVAL;
	return 0;
}

/* The zcpool mapping of q in the caller's mm that holds the whole range. */
static struct vm_area_struct *zcpool_receive_vma(struct zcpool_queue *q,
						 struct zcpool_receive *r)
{
	struct vm_area_struct *vma = vma_lookup(current->mm, r->address);

	if (!vma || !zcpool_vma_is_queue(vma, q) ||
	    r->address + r->length > vma->vm_end)
		return NULL;
	return vma;
}

/* Why the call stopped early, and what to read() before the next one. */
static void zcpool_receive_stopped(struct zcpool_queue *q,
				   struct zcpool_receive *r, int err)
{
	struct zcpool_unit *u;

	r->stop_errno = -err;
	if (err == -ENOMEM) {
		spin_lock(&zcpool_pool.lock);
		q->acct.charge_failures++;
		zcpool_pool.acct.charge_failures++;
		spin_unlock(&zcpool_pool.lock);
	}
	if (!list_empty(&q->units)) {
		u = list_first_entry(&q->units, struct zcpool_unit, node);
		r->skip_hint = (u64)(u->nr - u->head) << PAGE_SHIFT;
	}
}

/**
 * zcpool_rx_receive() - RECEIVE: map queued pages into a zcpool mapping
 * @q: the queue
 * @r: the request; mapped, first_seq, skip_hint and stop_errno are filled in
 *
 * Stops at the pause points r->flags asks for (pause.c).
 *
 * Return: 0 (possibly with nothing mapped: see r->stop_errno), -EINVAL for
 * a bad request or an address range outside a mapping of @q, -EINTR if
 * killed while waiting for the queue or the mmap lock, -ENOMEM if the
 * call's state cannot be allocated, or when v1's charge of
 * the first batch failed: as getsockopt(TCP_ZEROCOPY_RECEIVE) with the
 * patch, the call fails when it mapped nothing (the pages stay queued; a
 * call that mapped earlier batches returns 0 with stop_errno ENOMEM, as
 * tcp_zerocopy_receive() turns an error after some progress into 0).
 */
int zcpool_rx_receive(struct zcpool_queue *q, struct zcpool_receive *r)
{
	struct mm_struct *mm = current->mm;
	struct zcpool_unit *u, *tmp;
	struct zcpool_rx *rx;
	int ret, err = 0;

	ret = zcpool_receive_check(r);
	if (ret)
		return ret;
	rx = kzalloc(sizeof(*rx), GFP_KERNEL);
	if (!rx)
		return -ENOMEM;
	rx->q = q;
	rx->address = r->address;
	rx->left = r->length >> PAGE_SHIFT;
	INIT_LIST_HEAD(&rx->consumed);
	INIT_LIST_HEAD(&rx->late);

	if (mutex_lock_killable(&q->lock)) {
		kfree(rx);
		return -EINTR;
	}
	if (mmap_read_lock_killable(mm)) {
		ret = -EINTR;
		goto err_unlock;
	}
	rx->vma = zcpool_receive_vma(q, r);
	if (!rx->vma) {
		ret = -EINVAL;
		goto err_unlock_mm;
	}
	if (q->variant == ZCPOOL_VARIANT_V1 || q->variant == ZCPOOL_VARIANT_V2)
		rx->rx_memcg = zcpool_memcg_get_current();

	r->mapped = 0;
	r->skip_hint = 0;
	r->stop_errno = 0;
	r->first_seq = 0;
	if (!list_empty(&q->units)) {
		u = list_first_entry(&q->units, struct zcpool_unit, node);
		r->first_seq = u->pages[u->head]->seq;
	}
	while (rx->left && !err) {
		zcpool_batch_collect(rx);
		if (!rx->nr)
			break;
		err = zcpool_batch_map(rx, r);
	}
	r->mapped = (u64)rx->mapped << PAGE_SHIFT;
	if (err)
		zcpool_receive_stopped(q, r, err);
	if (err == -ENOMEM && q->variant == ZCPOOL_VARIANT_V1 && !rx->mapped)
		ret = -ENOMEM;

	/* Consumed units go now, as TCP frees its skbs after the batches. */
	list_for_each_entry_safe(u, tmp, &rx->consumed, node)
		zcpool_unit_release(q, u);
	if (r->flags & ZCPOOL_RECEIVE_PAUSE_RELEASED)
		zcpool_pause_stop(rx, ZCPOOL_PAUSE_RELEASED);
	zcpool_batch_late_charge(rx);
	zcpool_memcg_put(rx->rx_memcg);
err_unlock_mm:
	mmap_read_unlock(mm);
err_unlock:
	mutex_unlock(&q->lock);
	kfree(rx);
	return ret;
}

/**
 * zcpool_rx_read() - read(): copy queued pages, the fallback of RECEIVE
 * @q: the queue
 * @buf: user buffer
 * @count: bytes, a multiple of the page size
 *
 * Consumes whole pages from the head of the queue; a unit's socket charge
 * is released when the unit is fully consumed. Does not wait for data.
 *
 * Return: bytes copied, 0 if nothing is queued, -EINVAL if @count is not
 * a multiple of the page size, -EFAULT if nothing could be copied to @buf,
 * -EINTR if killed while a RECEIVE of the queue holds it.
 */
ssize_t zcpool_rx_read(struct zcpool_queue *q, char __user *buf,
		       size_t count)
{
	struct zcpool_page *d;
	struct zcpool_unit *u;
	ssize_t done = 0;
	int ret = 0;

	if (count & ~PAGE_MASK)
		return -EINVAL;

	if (mutex_lock_killable(&q->lock))
		return -EINTR;
	while (done < count && !list_empty(&q->units)) {
		void *src;
		unsigned long left;

		u = list_first_entry(&q->units, struct zcpool_unit, node);
		d = u->pages[u->head];
		src = kmap_local_page(d->page);
		left = copy_to_user(buf + done, src, PAGE_SIZE);
		kunmap_local(src);
		if (left) {
			ret = -EFAULT;
			break;
		}

		spin_lock(&zcpool_pool.lock);
		zcpool_stats_page_del(d);
		d->state = ZCPOOL_PAGE_COPIED;
		zcpool_stats_page_add(d);
		q->acct.copied++;
		zcpool_pool.acct.copied++;
		spin_unlock(&zcpool_pool.lock);

		q->queued_pages--;
		done += PAGE_SIZE;
		if (++u->head == u->nr)
			zcpool_unit_release(q, u);
	}
	mutex_unlock(&q->lock);
	return done ? done : ret;
}
