/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * zcpool user-space API.
 *
 * This header is the only contract between the zcpool module (kernel/) and
 * the guest programs (vm/). Both sides include it; nothing else is shared.
 * Fields added here use fixed-width __u64/__u32 types marked (in)/(out).
 *
 * Each open file of /dev/zcpool is a receive queue. Its user mmap()s a
 * read-only MAP_SHARED window on the file, FEEDs "network" pages into the
 * queue and RECEIVEs them into the window (modelled on
 * TCP_ZEROCOPY_RECEIVE), or read()s them (the copy fallback). See
 * kernel/README.md for the accounting variants.
 */
#ifndef _UAPI_ZCPOOL_H
#define _UAPI_ZCPOOL_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Module version, also reported by /sys/module/zcpool/version. */
#define ZCPOOL_VERSION "0.1.0"

#define ZCPOOL_DEVICE		"/dev/zcpool"
/* Pages per skb-like unit of FEED when zcpool_feed.unit_pages is 0. */
#define ZCPOOL_UNIT_PAGES	16
#define ZCPOOL_MAX_UNIT_PAGES	64
/* vm_insert_pages() batch, as TCP_ZEROCOPY_PAGE_BATCH_SIZE. */
#define ZCPOOL_BATCH_PAGES	32
/* Largest FEED or RECEIVE of one call, in bytes. */
#define ZCPOOL_MAX_IO_BYTES	(1ULL << 30)
/*
 * Default of the module parameter pool_pages, the pool's most pages: 128 MiB,
 * room for a 64 MiB receive mapped at once, and some more.
 */
#define ZCPOOL_DEFAULT_POOL_PAGES	32768

/*
 * Accounting variants, as numbered in zcpool_stats.variant; the module
 * parameter "variant" takes their names (kernel/README.md).
 */
enum zcpool_variant {
	ZCPOOL_VARIANT_UNACCOUNTED = 0,	/* "unaccounted" */
	ZCPOOL_VARIANT_V1 = 1,		/* "v1" */
	ZCPOOL_VARIANT_V2 = 2,		/* "v2" */
	ZCPOOL_VARIANT_POOL_FREE = 3,	/* "pool-free" */
	ZCPOOL_VARIANT_BATCH = 4,	/* "batch" */
	ZCPOOL_VARIANT_STEAL = 5,	/* "steal" */
	ZCPOOL_VARIANT_POOL_FREE_BATCHED = 6,	/* "pool-free-batched" */
	ZCPOOL_NR_VARIANTS = 7,
};

/* The variants' names, in enum order: an initializer for a name table. */
#define ZCPOOL_VARIANT_NAMES {					\
	[ZCPOOL_VARIANT_UNACCOUNTED]	= "unaccounted",	\
	[ZCPOOL_VARIANT_V1]		= "v1",			\
	[ZCPOOL_VARIANT_V2]		= "v2",			\
	[ZCPOOL_VARIANT_POOL_FREE]	= "pool-free",		\
	[ZCPOOL_VARIANT_BATCH]		= "batch",		\
	[ZCPOOL_VARIANT_STEAL]		= "steal",		\
	[ZCPOOL_VARIANT_POOL_FREE_BATCHED] = "pool-free-batched", \
}

/*
 * FEED: the "NIC" takes bytes / page size pages from the pool, stamps each
 * (zcpool_payload_word()) and queues them in units of unit_pages pages,
 * charging them to the queue's memcg as socket memory. All or nothing:
 * -ENOBUFS if the pool cannot supply the pages, -ENOMEM if the socket
 * charge fails.
 */
struct zcpool_feed {
	__u64 bytes;		/* (in) > 0, multiple of the page size */
	__u64 pattern;		/* (in) stamped into every page */
	__u64 unit_pages;	/* (in) 0: ZCPOOL_UNIT_PAGES; at most ZCPOOL_MAX_UNIT_PAGES */
	__u64 flags;		/* (in) must be 0 */
	__u64 first_seq;	/* (out) sequence number of the first page */
	__u64 queued_bytes;	/* (out) bytes queued in the queue after the call */
};

/* zcpool_receive.flags: stop the call at a point, until ZCPOOL_IOC_RESUME. */
#define ZCPOOL_RECEIVE_PAUSE_INSERTED	(1ULL << 0)	/* after inserting batch pause_batch, before what the design does after a batch */
#define ZCPOOL_RECEIVE_PAUSE_RELEASED	(1ULL << 1)	/* once the call's consumed units are released, before a late charge */
#define ZCPOOL_RECEIVE_FLAGS		(ZCPOOL_RECEIVE_PAUSE_INSERTED | ZCPOOL_RECEIVE_PAUSE_RELEASED)

/*
 * RECEIVE: map up to length bytes of queued pages at address, which must lie
 * in a zcpool mapping of this queue in the caller's mm. Stops early when a
 * charge fails or a page cannot be inserted; the pages not mapped stay
 * queued and skip_hint says how many bytes to read() before mapping again.
 * Variant v1 as posted: when the charge of a batch fails and the call has
 * mapped nothing, the ioctl fails with ENOMEM (nothing is copied back, the
 * pages stay queued), as getsockopt(TCP_ZEROCOPY_RECEIVE) did.
 */
struct zcpool_receive {
	__u64 address;		/* (in) page aligned */
	__u64 length;		/* (in) > 0, multiple of the page size */
	__u64 flags;		/* (in) 0 or ZCPOOL_RECEIVE_PAUSE_*; other bits: EINVAL */
	__u64 pause_batch;	/* (in) with PAUSE_INSERTED: the batch of this call (1-based) to stop after; 0 with it: EINVAL; must be 0 without it */
	__u64 mapped;		/* (out) bytes mapped, from address on */
	__u64 first_seq;	/* (out) sequence number of the first page mapped */
	__u64 skip_hint;	/* (out) bytes to read() before the next RECEIVE */
	__u64 stop_errno;	/* (out) why it stopped early: 0, ENOMEM (charge), EBUSY/EFAULT (insert) */
};

/* Page counters as the module sees them, all in pages unless named. */
struct zcpool_counters {
	__u64 queued;		/* (out) in flight: queued, not yet consumed */
	__u64 out;		/* (out) handed to user space, not yet recycled */
	__u64 mapped;		/* (out) of out, mapped in some page table now */
	__u64 sock;		/* (out) covered by a socket charge */
	__u64 charged;		/* (out) carrying a page charge */
	__u64 double_now;	/* (out) socket charge and page charge at once */
	__u64 double_peak;	/* (out) */
	__u64 under_now;	/* (out) in use by a memcg'd queue, charged to nobody */
	__u64 under_peak;	/* (out) */
	__u64 fed;		/* (out) pages queued by FEED, total */
	__u64 received;		/* (out) pages mapped by RECEIVE, total */
	__u64 copied;		/* (out) pages consumed by read(), total */
	__u64 charge_failures;	/* (out) RECEIVE stops on a failed charge */
	__u64 recycles;		/* (out) pages back to the pool free list */
};

/* Where a paused RECEIVE stands (zcpool_pause.point). */
enum zcpool_pause_point {
	ZCPOOL_PAUSE_NONE = 0,
	ZCPOOL_PAUSE_INSERTED = 1,
	ZCPOOL_PAUSE_RELEASED = 2,
};

/* PAUSE_WAIT: wait until a RECEIVE of this queue stops at a pause point. */
struct zcpool_pause {
	__u64 timeout_ms;	/* (in) 1..60000 */
	__u64 point;		/* (out) enum zcpool_pause_point */
	__u64 batches;		/* (out) batches this call has inserted so far */
	__u64 mapped;		/* (out) pages this call has mapped so far */
	struct zcpool_counters queue;	/* (out) the queue's counters at the stop */
};

/*
 * A stopped RECEIVE goes on by itself after this long (then reported by a
 * rate-limited kernel warning; no counter of struct zcpool_counters).
 *
 * PAUSE_WAIT returns 0 with the fields, -ETIMEDOUT when no RECEIVE of the
 * queue stopped within timeout_ms, -EINTR on a signal, -EINVAL for a bad
 * timeout. RESUME returns 0, or -EINVAL when no RECEIVE of the queue is
 * stopped. Neither takes the queue's lock nor the mmap lock, which the
 * stopped RECEIVE holds: other threads of the process may read cgroup
 * files, write debugfs and call PAUSE_WAIT/RESUME on the same file.
 * A RECEIVE with both flags stops twice (INSERTED after batch pause_batch,
 * then RELEASED); one that maps fewer batches than pause_batch does not
 * stop at INSERTED.
 */
#define ZCPOOL_PAUSE_MAX_MS	30000

/* STATS: this queue, and the pool as a whole (all queues). */
struct zcpool_stats {
	__u64 queue_id;		/* (out) */
	__u64 variant;		/* (out) enum zcpool_variant of the queue */
	__u64 memcg_id;		/* (out) cgroup inode of the queue's memcg, 0: root */
	__u64 pool_total;	/* (out) pages owned by the pool */
	__u64 pool_free;	/* (out) on the free list */
	__u64 pool_max;		/* (out) module parameter pool_pages */
	struct zcpool_counters queue;	/* (out) */
	struct zcpool_counters pool;	/* (out) */
};

/* RECLAIM: recycle now what the periodic worker would recycle. */
struct zcpool_reclaim {
	__u64 recycled;		/* (out) pages back to the free list */
	__u64 uncharged;	/* (out) page charges dropped */
	__u64 outstanding;	/* (out) pages still referenced elsewhere */
};

/*
 * debugfs, under its mount point: the pool's counters (read), and a file
 * whose write flushes memcg's rstat from the root, so every cgroup's
 * memory.stat is exact at once (EOPNOTSUPP if the kernel lacks the symbols).
 * Where the kernel allows it (line "stock_drain 1" in zcpool/stats), the
 * write first drains memcg's per-cpu charge stock on every online CPU, so
 * memory.current is exact too.
 */
#define ZCPOOL_DEBUGFS_STATS	"zcpool/stats"
#define ZCPOOL_DEBUGFS_FLUSH	"zcpool/flush_memcg_stats"

/*
 * Values of the module parameter "fault": a bug injected on purpose, for
 * testing the tests (zcbench fuzz --inject-fault). Default: none.
 *   orphan-leak  a page still out when its queue is released (mapped,
 *                pinned by a pipe, or just not recycled yet) is, when it is
 *                recycled, neither uncharged nor given back to the pool: it
 *                stays out, and charged, for ever.
 *   orphan-oops  the same page hits BUG() instead: the kernel oopses (and
 *                panics, as zcbench boots it with oops=panic).
 *   counters-lie the module's double- and under-charge counters (queue and
 *                pool, now and peak, and what PAUSE_WAIT reports) read 0
 *                whatever the charges are; every charge is unchanged.
 *   orphan-uaf   such a page keeps a pointer to its freed queue, which its
 *                recycling reads: a use-after-free that only KASAN sees (a
 *                kernel built with zcbench kernel build --debug); the value
 *                read is only printed, so Debian's kernels run on unharmed.
 *   slow-release not a bug but a wider window: a unit's release sleeps
 *                2 ms after letting go of the pool lock, where a recycling
 *                pass on another CPU could once recycle its out pages before
 *                it looked at them (README.md: what the debug kernels
 *                found); a correct module runs on unharmed, only slower.
 */
#define ZCPOOL_FAULT_NONE		"none"
#define ZCPOOL_FAULT_ORPHAN_LEAK	"orphan-leak"
#define ZCPOOL_FAULT_ORPHAN_OOPS	"orphan-oops"
#define ZCPOOL_FAULT_COUNTERS_LIE	"counters-lie"
#define ZCPOOL_FAULT_ORPHAN_UAF		"orphan-uaf"
#define ZCPOOL_FAULT_SLOW_RELEASE	"slow-release"

#define ZCPOOL_IOC_MAGIC	0xb7
#define ZCPOOL_IOC_FEED		_IOWR(ZCPOOL_IOC_MAGIC, 1, struct zcpool_feed)
#define ZCPOOL_IOC_RECEIVE	_IOWR(ZCPOOL_IOC_MAGIC, 2, struct zcpool_receive)
#define ZCPOOL_IOC_STATS	_IOR(ZCPOOL_IOC_MAGIC, 3, struct zcpool_stats)
#define ZCPOOL_IOC_RECLAIM	_IOR(ZCPOOL_IOC_MAGIC, 4, struct zcpool_reclaim)
#define ZCPOOL_IOC_PAUSE_WAIT	_IOWR(ZCPOOL_IOC_MAGIC, 5, struct zcpool_pause)
#define ZCPOOL_IOC_RESUME	_IO(ZCPOOL_IOC_MAGIC, 6)

/*
 * Payload of a page, as 64-bit little-endian words: words 0-3 are a header
 * (ZCPOOL_PAGE_MAGIC, queue id, sequence number, pattern), word i >= 4 is
 * zcpool_payload_base() + i * ZCPOOL_PAYLOAD_STEP. Every word of a page is
 * written on every FEED.
 */
#define ZCPOOL_PAGE_MAGIC	0x7a63706f6f6c2121ULL	/* "zcpool!!" */
#define ZCPOOL_PAYLOAD_STEP	0x9e3779b97f4a7c15ULL
#define ZCPOOL_HDR_WORDS	4

static inline __u64 zcpool_payload_base(__u64 queue_id, __u64 seq,
					__u64 pattern)
{
	__u64 x = pattern ^ (queue_id << 40) ^ seq;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline __u64 zcpool_payload_word(__u64 queue_id, __u64 seq,
					__u64 pattern, __u64 idx)
{
	switch (idx) {
	case 0:
		return ZCPOOL_PAGE_MAGIC;
	case 1:
		return queue_id;
	case 2:
		return seq;
	case 3:
		return pattern;
	}
	return zcpool_payload_base(queue_id, seq, pattern) +
	       idx * ZCPOOL_PAYLOAD_STEP;
}

#endif /* _UAPI_ZCPOOL_H */
