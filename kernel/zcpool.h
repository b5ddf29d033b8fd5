/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zcpool private declarations, shared by the files of the module.
 *
 * Include this header first in every zcpool source file: it sets the
 * "zcpool: " prefix of pr_*() messages.
 *
 * Areas and their files:
 *   main.c   module entry points and parameters (variant, pool_pages,
 *            recycle_ms, fault, ibt_check)
 *   dev.c    /dev/zcpool: queues (open files), mmap, ioctl dispatch
 *   pool.c   the page pool: free list, FEED's pages, pool_pages, start
 *            and end
 *   recycle.c  pages out coming back: the recycling pass, v1/v2's
 *            last-unmap uncharge, the injected orphan faults
 *   rx.c     FEED, RECEIVE and read(): units, the RECEIVE call
 *   batch.c  one batch of RECEIVE: per-variant charging, insert, unroll
 *   pause.c  pause points of RECEIVE: PAUSE_WAIT and RESUME
 *   memcg.c  unexported memcg functions and the charge primitives
 *   ksym.c   symbol resolution and the ENDBR check (ksym.h, shared with
 *            zctcp)
 *   stats.c  page counters, STATS, debugfs
 *
 * Locking, outermost first: zcpool_dev_lock (queue count and variant),
 * zcpool_queue.lock (one FEED/RECEIVE/read at a time per queue), the
 * caller's mmap_lock, zcpool_pool.scan_lock (one recycle pass at a time),
 * zcpool_pool.lock (spinlock: pool lists, page states, counters).
 * zcpool_queue.pause.lock (spinlock: the pause state) is innermost and
 * takes no other lock: a stopping RECEIVE takes it under the queue's lock
 * and the mmap lock; PAUSE_WAIT and RESUME take only it, so they work
 * while a stopped RECEIVE holds both.
 */
#ifndef _ZCPOOL_H
#define _ZCPOOL_H

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "uapi/zcpool.h"

struct mem_cgroup;
struct page;
struct vm_area_struct;

/* Where a pool page is. */
enum zcpool_page_state {
	ZCPOOL_PAGE_FREE,	/* on the pool free list */
	ZCPOOL_PAGE_QUEUED,	/* in a unit, not consumed */
	ZCPOOL_PAGE_COPIED,	/* consumed by read(), its unit still alive */
	ZCPOOL_PAGE_OUT,	/* mapped by RECEIVE, on the pool out list */
};

/* What a page's own charge is, and so how and when it is dropped. */
enum zcpool_charge {
	ZCPOOL_CHARGE_NONE,
	/* memcg tag, no charge yet (v2 between insert and charge) */
	ZCPOOL_CHARGE_TAG,
	/* kmem API (objcg in memcg_data): dropped on recycle (pool-free, batch) */
	ZCPOOL_CHARGE_KMEM,
	/* raw page counter charge + memcg tag: dropped at last unmap (v1) */
	ZCPOOL_CHARGE_RAW,
	/* MEMCG_SOCK charge + memcg tag: dropped at last unmap (v2) */
	ZCPOOL_CHARGE_SOCK_UNMAP,
	/* the unit's MEMCG_SOCK charge, moved to the page: dropped on recycle (steal) */
	ZCPOOL_CHARGE_SOCK,
	/*
	 * kmem, charged with its batch in one call; memcg_data as KMEM, so
	 * the kmem API may also drop it page by page: dropped on recycle, with
	 * the pass's others of its objcg in one call (pool-free-batched)
	 */
	ZCPOOL_CHARGE_KMEM_BULK,
};

struct zcpool_queue;
struct zcpool_unit;

/* Counters in pages, for a queue and for the pool; under zcpool_pool.lock. */
struct zcpool_acct {
	long queued, out, sock, charged;
	long dbl, dbl_peak, under, under_peak;
	u64 fed, received, copied, charge_failures, recycles;
};

/* One pool page; all fields but page under zcpool_pool.lock. */
struct zcpool_page {
	struct list_head node;		/* free or out list of the pool */
	struct page *page;		/* the pool holds one reference */
	struct zcpool_queue *q;		/* owner while the queue is open */
	struct zcpool_queue *freed_q;	/* fault orphan-uaf: its queue, freed */
	struct zcpool_unit *unit;	/* unit holding it, until the unit is freed */
	struct mem_cgroup *memcg;	/* memcg of a TAG/RAW/SOCK* charge, css ref */
	u64 seq;
	u8 state;			/* enum zcpool_page_state */
	u8 charge;			/* enum zcpool_charge */
	bool sock;			/* its unit holds socket charge for it */
	bool accountable;		/* its queue has a memcg: count under-charge */
	bool in_call;			/* on a RECEIVE's late list: not recycled */
	struct list_head late;		/* zcpool_rx.late (v2's late charge) */
};

/* An skb-like unit of FEED: pages consumed in order, charged as one. */
struct zcpool_unit {
	struct list_head node;		/* zcpool_queue.units */
	unsigned int nr;		/* pages */
	unsigned int head;		/* pages consumed */
	unsigned int sock_pages;	/* pages the socket charge still covers */
	struct zcpool_page *pages[];
};

/*
 * Where a RECEIVE of a queue is stopped (uapi zcpool_pause_point), under
 * its own lock: a stopped RECEIVE holds the queue's lock.
 */
struct zcpool_pause_state {
	spinlock_t lock;
	wait_queue_head_t wait;		/* PAUSE_WAIT and the stopped RECEIVE */
	u8 point;			/* enum zcpool_pause_point, NONE: running */
	bool resumed;			/* RESUME seen for this stop */
	u64 batches;			/* of the stopped call so far */
	u64 mapped;			/* pages, of the stopped call so far */
	struct zcpool_counters queue;	/* the queue's counters at the stop */
};

/* A receive queue: one open file of /dev/zcpool. */
struct zcpool_queue {
	struct mutex lock;
	u64 id;
	enum zcpool_variant variant;	/* in force at open */
	struct mem_cgroup *memcg;	/* opener's, as sk->sk_memcg; NULL: root */
	struct list_head units;
	unsigned long queued_pages;
	u64 next_seq;
	struct zcpool_acct acct;	/* under zcpool_pool.lock */
	struct zcpool_pause_state pause;
};

/* The page pool, one for the device. */
struct zcpool_pool {
	spinlock_t lock;
	struct list_head free;
	struct list_head out;
	unsigned long total;		/* pages owned, on any list or in units */
	unsigned long nr_free;
	unsigned long max;		/* module parameter pool_pages */
	struct zcpool_acct acct;
	struct mutex scan_lock;
	struct delayed_work work;
};

/* Module parameter "fault" (uapi ZCPOOL_FAULT_*): injected bugs. */
enum zcpool_fault {
	ZCPOOL_FAULT_OFF,
	ZCPOOL_FAULT_LEAK_ORPHANS,
	ZCPOOL_FAULT_OOPS_ON_ORPHANS,
	ZCPOOL_FAULT_LYING_COUNTERS,
	ZCPOOL_FAULT_UAF_ON_ORPHANS,
	ZCPOOL_FAULT_RELEASE_SLOWLY,
};

/* One RECEIVE call (rx.c drives it, batch.c maps its batches). */
struct zcpool_rx {
	struct zcpool_queue *q;
	struct vm_area_struct *vma;
	struct mem_cgroup *rx_memcg;	/* receiving task's, for v1 and v2 */
	unsigned long address;		/* where the next page goes */
	unsigned long left;		/* pages still wanted */
	unsigned long mapped;		/* pages mapped so far */
	unsigned long batches;		/* batches inserted so far */
	struct list_head consumed;	/* fully consumed units */
	struct list_head late;		/* pages waiting for v2's late charge */
	unsigned long nr_late;		/* v2: pages tagged and inserted */
	unsigned int nr;		/* pages in the batch */
	struct zcpool_page *batch[ZCPOOL_BATCH_PAGES];
	struct page *pages[ZCPOOL_BATCH_PAGES];
};

extern struct zcpool_pool zcpool_pool;
extern unsigned int zcpool_recycle_ms;
extern enum zcpool_fault zcpool_fault;
extern bool zcpool_ibt_check;

/* main.c */
const char *zcpool_variant_name(enum zcpool_variant v);

/* dev.c */
int zcpool_dev_init(void);
void zcpool_dev_exit(void);
int zcpool_dev_set_variant(enum zcpool_variant v);
enum zcpool_variant zcpool_dev_variant(void);
bool zcpool_vma_is_queue(struct vm_area_struct *vma, struct zcpool_queue *q);

/* pool.c */
int zcpool_pool_init(unsigned long max);
void zcpool_pool_exit(void);
int zcpool_pool_set_max(unsigned long max);
int zcpool_pool_get(struct list_head *list, unsigned long n);
void zcpool_pool_put(struct zcpool_page *d);
bool zcpool_pool_put_locked(struct zcpool_page *d);
void zcpool_page_free(struct zcpool_page *d);

/* recycle.c */
void zcpool_pool_recycle(struct zcpool_reclaim *r);
void zcpool_pool_forget_queue(struct zcpool_queue *q);
unsigned long zcpool_pool_mapped(struct zcpool_queue *q);

/* rx.c */
void zcpool_rx_queue_init(struct zcpool_queue *q);
void zcpool_rx_queue_release(struct zcpool_queue *q);
int zcpool_rx_feed(struct zcpool_queue *q, struct zcpool_feed *f);
int zcpool_rx_receive(struct zcpool_queue *q, struct zcpool_receive *r);
ssize_t zcpool_rx_read(struct zcpool_queue *q, char __user *buf,
		       size_t count);

/* batch.c */
void zcpool_batch_collect(struct zcpool_rx *rx);
int zcpool_batch_map(struct zcpool_rx *rx, struct zcpool_receive *r);
void zcpool_batch_late_charge(struct zcpool_rx *rx);

/* pause.c */
void zcpool_pause_init(struct zcpool_queue *q);
void zcpool_pause_stop(struct zcpool_rx *rx, enum zcpool_pause_point point);
int zcpool_pause_wait(struct zcpool_queue *q, struct zcpool_pause *p);
int zcpool_pause_resume(struct zcpool_queue *q);

/* memcg.c */
int zcpool_memcg_init(void);
int zcpool_memcg_flush_stats(void);
bool zcpool_memcg_can_drain_stock(void);
struct mem_cgroup *zcpool_memcg_get_current(void);
void zcpool_memcg_put(struct mem_cgroup *memcg);
u64 zcpool_memcg_id(struct mem_cgroup *memcg);
bool zcpool_memcg_sock_charge(struct mem_cgroup *memcg, unsigned int nr,
			      bool nofail);
void zcpool_memcg_sock_uncharge(struct mem_cgroup *memcg, unsigned int nr);
int zcpool_memcg_raw_charge(struct mem_cgroup *memcg, unsigned int nr);
void zcpool_memcg_raw_uncharge(struct mem_cgroup *memcg, unsigned int nr);
int zcpool_memcg_charge_page(struct zcpool_page *d, enum zcpool_charge kind,
			     struct mem_cgroup *memcg);
void zcpool_memcg_uncharge_page(struct zcpool_page *d);
unsigned int zcpool_memcg_charge_bulk(struct zcpool_page **pages,
				      unsigned int n, int *err);
void zcpool_memcg_uncharge_list(struct list_head *pages);
bool zcpool_memcg_kmem(const struct zcpool_page *d);
bool zcpool_memcg_until_unmap(const struct zcpool_page *d);

/* stats.c */
int zcpool_stats_init(void);
void zcpool_stats_exit(void);
void zcpool_stats_page_del(struct zcpool_page *d);
void zcpool_stats_page_add(struct zcpool_page *d);
void zcpool_stats_fill(struct zcpool_queue *q, struct zcpool_stats *st);

#endif /* _ZCPOOL_H */
