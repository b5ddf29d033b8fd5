// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool RECEIVE batches: collect up to ZCPOOL_BATCH_PAGES queued pages,
 * charge them as the variant says, insert them with vm_insert_pages(),
 * unroll what was not inserted as tcp_zerocopy_vm_insert_batch() does, and
 * do the variant's work after the batch (kernel/README.md):
 *
 *   variant      before insert            after the batch   after the call's
 *                                                           units are released
 *   unaccounted  -                        -                 -
 *   v1           raw charge of the whole  -                 -
 *                batch (GFP_KERNEL) + tag
 *   v2           tag (cmpxchg)            -                 one NOFAIL MEMCG_SOCK
 *                                                           charge of the tagged
 *   pool-free    kmem charge per page     -                 -
 *   pool-free-   one kmem charge of the   -                 -
 *   batched      batch (objcg refs in
 *                one go) + tag per page
 *   batch        kmem charge per page     release sock      -
 *   steal        move sock charge to      -                 -
 *                the page + tag
 *
 * v1 and v2 drop the page charge at the last unmap, the others when the
 * pool recycles the page (recycle.c; pool-free-batched with one uncharge per
 * recycling pass and objcg). The pause point INSERTED sits between
 * the insert (and the accounting of the inserted pages) and the work after
 * the batch.
 */
#include "zcpool.h"

#include <linux/list.h>
#include <linux/mm.h>

/* Take the pages of a batch out of the counters, or put them back. */
static void zcpool_batch_acct(struct zcpool_rx *rx, unsigned int from,
			      unsigned int to, bool add)
{
	unsigned int i;

	spin_lock(&zcpool_pool.lock);
	for (i = from; i < to; i++) {
		if (add)
			zcpool_stats_page_add(rx->batch[i]);
		else
			zcpool_stats_page_del(rx->batch[i]);
	}
	spin_unlock(&zcpool_pool.lock);
}

/**
 * zcpool_batch_collect() - the next batch, from the head of the queue
 * @rx: the call; rx->nr is set to the pages collected, at most rx->left
 */
void zcpool_batch_collect(struct zcpool_rx *rx)
{
	struct zcpool_unit *u;
	unsigned int i;

	rx->nr = 0;
	list_for_each_entry(u, &rx->q->units, node) {
		for (i = u->head; i < u->nr; i++) {
			if (rx->nr == ZCPOOL_BATCH_PAGES || rx->nr == rx->left)
				return;
			rx->batch[rx->nr] = u->pages[i];
			rx->pages[rx->nr] = u->pages[i]->page;
			rx->nr++;
		}
	}
}

/* Move a page's socket coverage from its unit to the page (steal). */
static void zcpool_steal(struct zcpool_rx *rx, struct zcpool_page *d)
{
	if (!d->sock)
		return;
	if (zcpool_memcg_charge_page(d, ZCPOOL_CHARGE_SOCK, rx->q->memcg))
		return;		/* memcg_data in use: the unit keeps the charge */
	d->sock = false;
	d->unit->sock_pages--;
}

/* Undo zcpool_steal() for a page that was not inserted. */
static void zcpool_unsteal(struct zcpool_page *d)
{
	/* Only the tag goes: the charge returns to the unit. */
	d->charge = ZCPOOL_CHARGE_TAG;
	zcpool_memcg_uncharge_page(d);
	d->sock = true;
	d->unit->sock_pages++;
}

/* v1: the whole batch at once, before insert; all or nothing. */
static int zcpool_batch_charge_v1(struct zcpool_rx *rx)
{
	unsigned int i;
	int ret;

	ret = zcpool_memcg_raw_charge(rx->rx_memcg, rx->nr);
	if (ret)
		return ret;
	for (i = 0; i < rx->nr; i++) {
		/* A page whose memcg_data is in use gives its share back. */
		if (zcpool_memcg_charge_page(rx->batch[i], ZCPOOL_CHARGE_RAW,
					     rx->rx_memcg))
			zcpool_memcg_raw_uncharge(rx->rx_memcg, 1);
	}
	return 0;
}

/*
 * Charge the batch before insert, as the variant says. Returns how many
 * pages from the head of the batch may be inserted (fewer than rx->nr if a
 * charge failed: *err is then -ENOMEM).
 */
static unsigned int zcpool_batch_charge(struct zcpool_rx *rx, int *err)
{
	unsigned int i;
	int ret = 0;

	if (rx->q->variant == ZCPOOL_VARIANT_V1) {
		*err = zcpool_batch_charge_v1(rx);
		return *err ? 0 : rx->nr;
	}
	if (rx->q->variant == ZCPOOL_VARIANT_POOL_FREE_BATCHED)
		return zcpool_memcg_charge_bulk(rx->batch, rx->nr, err);
	for (i = 0; i < rx->nr && !ret; i++) {
		struct zcpool_page *d = rx->batch[i];

		switch (rx->q->variant) {
		case ZCPOOL_VARIANT_V2:
			/* A page whose memcg_data is in use is not counted. */
			zcpool_memcg_charge_page(d, ZCPOOL_CHARGE_TAG,
						 rx->rx_memcg);
			break;
		case ZCPOOL_VARIANT_POOL_FREE:
		case ZCPOOL_VARIANT_BATCH:
			ret = zcpool_memcg_charge_page(d, ZCPOOL_CHARGE_KMEM,
						       NULL);
			break;
		case ZCPOOL_VARIANT_STEAL:
			zcpool_steal(rx, d);
			break;
		default:
			break;
		}
	}
	if (ret) {
		*err = ret;
		return i - 1;
	}
	return i;
}

/* Undo zcpool_batch_charge() for pages from..to-1, which were not inserted. */
static void zcpool_batch_uncharge(struct zcpool_rx *rx, unsigned int from,
				  unsigned int to)
{
	unsigned int i;

	for (i = from; i < to; i++) {
		struct zcpool_page *d = rx->batch[i];

		if (rx->q->variant == ZCPOOL_VARIANT_STEAL &&
		    d->charge == ZCPOOL_CHARGE_SOCK)
			zcpool_unsteal(d);
		else
			zcpool_memcg_uncharge_page(d);
	}
}

/* After the batch: release the socket charge of the first n pages. */
static void zcpool_batch_release_sock(struct zcpool_rx *rx, unsigned int n)
{
	unsigned int i, nr_sock = 0;

	for (i = 0; i < n; i++) {
		struct zcpool_page *d = rx->batch[i];

		if (d->sock) {
			d->sock = false;
			d->unit->sock_pages--;
			nr_sock++;
		}
	}
	zcpool_memcg_sock_uncharge(rx->q->memcg, nr_sock);
}

/*
 * The first n pages of the batch are mapped: out of the queue, onto the
 * pool's out list (their unit keeps them from being recycled until it is
 * released; v2's tagged pages stay on the call's late list until charged).
 * They are out of the counters, and are counted again here.
 */
static void zcpool_batch_consume(struct zcpool_rx *rx, unsigned int n)
{
	struct zcpool_queue *q = rx->q;
	unsigned int i;

	spin_lock(&zcpool_pool.lock);
	for (i = 0; i < n; i++) {
		struct zcpool_page *d = rx->batch[i];

		d->state = ZCPOOL_PAGE_OUT;
		list_add_tail(&d->node, &zcpool_pool.out);
		if (q->variant == ZCPOOL_VARIANT_V2 &&
		    d->charge == ZCPOOL_CHARGE_TAG) {
			d->in_call = true;
			list_add_tail(&d->late, &rx->late);
			rx->nr_late++;
		}
		zcpool_stats_page_add(d);
	}
	q->acct.received += n;
	zcpool_pool.acct.received += n;
	spin_unlock(&zcpool_pool.lock);

	for (i = 0; i < n; i++) {
		struct zcpool_unit *u = rx->batch[i]->unit;

		q->queued_pages--;
		if (++u->head == u->nr)
			list_move_tail(&u->node, &rx->consumed);
	}
	rx->address += (unsigned long)n << PAGE_SHIFT;
	rx->left -= n;
	rx->mapped += n;
}

/* After the insert of n pages, per variant; the pages are counted. */
static void zcpool_batch_post(struct zcpool_rx *rx, unsigned int n)
{
	if (rx->q->variant != ZCPOOL_VARIANT_BATCH)
		return;
	/* At most one batch is ever charged twice. */
	zcpool_batch_acct(rx, 0, n, false);
	zcpool_batch_release_sock(rx, n);
	zcpool_batch_acct(rx, 0, n, true);
}

/**
 * zcpool_batch_map() - charge, insert and account one batch
 * @rx: the call, with a batch collected
 * @r: the request (for the pause point INSERTED)
 *
 * Unrolls what was not inserted as tcp_zerocopy_vm_insert_batch() does,
 * and stops at INSERTED after the batch r->pause_batch if asked to.
 *
 * Return: 0, or the reason to stop: -ENOMEM if a charge failed (v1: the
 * whole batch, nothing inserted), or the error of vm_insert_pages().
 */
int zcpool_batch_map(struct zcpool_rx *rx, struct zcpool_receive *r)
{
	unsigned int nr, inserted;
	unsigned long remaining;
	int err = 0;

	zcpool_batch_acct(rx, 0, rx->nr, false);
	nr = zcpool_batch_charge(rx, &err);

	remaining = nr;
	if (nr) {
		/* Even on error, some pages may be in: remaining says. */
		int ret = vm_insert_pages(rx->vma, rx->address, rx->pages,
					  &remaining);

		if (ret && !err)
			err = ret;
	}
	inserted = nr - remaining;
	zcpool_batch_uncharge(rx, inserted, nr);
	zcpool_batch_acct(rx, inserted, rx->nr, true);

	zcpool_batch_consume(rx, inserted);
	if (inserted) {
		rx->batches++;
		if ((r->flags & ZCPOOL_RECEIVE_PAUSE_INSERTED) &&
		    rx->batches == r->pause_batch)
			zcpool_pause_stop(rx, ZCPOOL_PAUSE_INSERTED);
	}
	zcpool_batch_post(rx, inserted);
	return err;
}

/**
 * zcpool_batch_late_charge() - v2's charge, once per call
 * @rx: the call, its consumed units released
 *
 * One MEMCG_SOCK charge of every page the call tagged and inserted, with
 * __GFP_NOFAIL (it may exceed memory.max), as v2 charged total_pages_acctd
 * after tcp_recv_skb() freed the consumed skbs. The pages then carry a
 * SOCK_UNMAP charge, dropped one by one at their last unmap.
 */
void zcpool_batch_late_charge(struct zcpool_rx *rx)
{
	struct zcpool_page *d, *tmp;

	if (!rx->nr_late)
		return;
	zcpool_memcg_sock_charge(rx->rx_memcg, rx->nr_late, true);

	spin_lock(&zcpool_pool.lock);
	list_for_each_entry_safe(d, tmp, &rx->late, late) {
		zcpool_stats_page_del(d);
		d->charge = ZCPOOL_CHARGE_SOCK_UNMAP;
		d->in_call = false;
		list_del_init(&d->late);
		zcpool_stats_page_add(d);
	}
	spin_unlock(&zcpool_pool.lock);
	rx->nr_late = 0;
}
