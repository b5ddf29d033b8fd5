// SPDX-License-Identifier: GPL-2.0
/*
 * The replacement of tcp_zerocopy_vm_insert_batch() (net/ipv4/tcp.c) and
 * each design's charge.
 *
 * tcp_zerocopy_receive() collects up to TCP_ZEROCOPY_PAGE_BATCH_SIZE (32)
 * pages of the receive queue and calls the replaced function to map them;
 * the skbs that hold them, and their socket charge, are freed only after
 * the whole call. The copy here is the stock function and its inlined
 * error path (tcp_zerocopy_vm_insert_batch_error()), line for line, with a
 * charge before vm_insert_pages():
 *
 *   tcp-kmem  each page charged with the kmem API (__memcg_kmem_charge_page:
 *             the task's objcg, "kernel" in memory.stat), GFP_KERNEL |
 *             __GFP_NORETRY: at memory.max the charge fails after one
 *             reclaim pass and never invokes the OOM killer. A failed
 *             charge ends the batch: the pages before it are mapped, the
 *             rest is left for the receiver to copy (recv_skip_hint), and
 *             the call ends there (-ENOMEM, turned into success by the
 *             caller when something was mapped).
 *   tcp-kmem-batched
 *             tcp-kmem with one charge for the batch: obj_cgroup_charge()
 *             of all its chargeable pages' bytes and their objcg
 *             references taken in one go (kmemcg.h), each page then given
 *             the memcg_data __memcg_kmem_charge_page() would give it. If
 *             that charge fails (at memory.max), the batch is charged as
 *             tcp-kmem's, page by page up to the first refusal. Each page
 *             is still uncharged on its own, by the free path.
 *   tcp-v1    the whole batch charged at once before the insert with
 *             GFP_KERNEL, as the January 2021 patch's try_charge(): here
 *             mem_cgroup_charge_skmem() with its MEMCG_SOCK stat taken
 *             back, so only the page counter moves. Each page is tagged
 *             with the memcg (memcg_data, with a css reference, as a user
 *             page is). A failed charge fails the whole batch.
 *
 * Who uncharges: nobody here, once a page is mapped. A kmem page is
 * uncharged by the page allocator's free path (free_pages_prepare()), a
 * tagged page by __folio_put() -> mem_cgroup_uncharge(), as a user page:
 * both when the last reference goes - the last unmap, or the pipe a
 * vmsplice() pinned it into. So nothing depends on the module once a page
 * is mapped, and it may be removed with pages still mapped. v1 as posted
 * uncharged at the last unmap instead (README.md: deviations).
 *
 * A page whose memcg_data is already set (charged by someone else), a
 * page of a compound page (its memcg is its head's) and a page_pool page
 * (the pool recycles it without the free path, which would leave the
 * charge on the next buffer: pool-free's case, zcpool's) are mapped as the
 * stock kernel maps them, without a charge of their own. Loopback's pages
 * are none of these: they come fresh from skb_copy_ubufs().
 */
#include "zctcp.h"

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/poison.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/tcp.h>
#include <linux/version.h>

#include "../kmemcg.h"

/* TCP_ZEROCOPY_PAGE_BATCH_SIZE (net/ipv4/tcp.c): pages per call at most. */
#define ZCTCP_BATCH_PAGES	32

static struct kmemcg zctcp_mc;

static const struct ksym zctcp_insert_syms[] = {
	KMEMCG_KSYMS(zctcp_mc),
};

/* The counters, in the order of ZCTCP_COUNTER_NAMES. */
enum zctcp_counter {
	ZCTCP_BATCHES,
	ZCTCP_PAGES_MAPPED,
	ZCTCP_PAGES_CHARGED,
	ZCTCP_PAGES_IN_USE,
	ZCTCP_CHARGE_FAILURES,
	ZCTCP_PAGES_REFUSED,
	ZCTCP_PAGES_UNCHARGED,
};

static const char *const zctcp_counter_names[ZCTCP_NR_COUNTERS] =
	ZCTCP_COUNTER_NAMES;
static atomic_long_t zctcp_counters[ZCTCP_NR_COUNTERS];
static struct dentry *zctcp_debugfs;

static void zctcp_count(enum zctcp_counter c, long n)
{
	if (n)
		atomic_long_add(n, &zctcp_counters[c]);
}

/* One call's charge: which pages got one, how many may be mapped. */
struct zctcp_batch {
	unsigned long charged;		/* bit i: pages[i] charged here */
	unsigned int allowed;		/* pages[0, allowed) may be mapped */
};

/* May the design give page a charge of its own? (file comment) */
static bool zctcp_chargeable(struct page *page)
{
	return !READ_ONCE(page->memcg_data) && !PageCompound(page) &&
	       (READ_ONCE(page->pp_magic) & ~0x3UL) != PP_SIGNATURE;
}

/* tcp-kmem: page by page with the kmem API, up to the first refusal. */
static void zctcp_charge_kmem(struct page **pages, unsigned int n,
			      struct zctcp_batch *b)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct page *page = pages[i];

		if (!zctcp_chargeable(page)) {
			zctcp_count(ZCTCP_PAGES_IN_USE, 1);
			continue;
		}
		if (zctcp_mc.kmem_charge_page(page, KMEMCG_GFP_TRY, 0)) {
			zctcp_count(ZCTCP_CHARGE_FAILURES, 1);
			break;
		}
		/* In the root cgroup the kmem API charges nothing. */
		if (READ_ONCE(page->memcg_data)) {
			__set_bit(i, &b->charged);
			zctcp_count(ZCTCP_PAGES_CHARGED, 1);
		}
	}
	b->allowed = i;
}

/* tcp-kmem-batched: the batch's chargeable pages with one kmem charge. */
static void zctcp_charge_kmem_bulk(struct page **pages, unsigned int n,
				   struct zctcp_batch *b)
{
	unsigned long chargeable = 0;
	struct obj_cgroup *objcg;
	unsigned int i, nr = 0;
	int err;

	for (i = 0; i < n; i++) {
		if (zctcp_chargeable(pages[i])) {
			__set_bit(i, &chargeable);
			nr++;
		}
	}
	objcg = kmemcg_charge_bulk(&zctcp_mc, nr, KMEMCG_GFP_TRY, &err);
	if (err) {
		zctcp_charge_kmem(pages, n, b);
		return;
	}
	zctcp_count(ZCTCP_PAGES_IN_USE, n - nr);
	b->allowed = n;
	if (!objcg)
		return;		/* the root cgroup: the kmem API charges nothing */
	for_each_set_bit(i, &chargeable, n)
		kmemcg_tag_kmem(pages[i], objcg);
	b->charged = chargeable;
	zctcp_count(ZCTCP_PAGES_CHARGED, nr);
}

/* The receiving task's memcg with a reference, NULL for the root. */
static struct mem_cgroup *zctcp_task_memcg(void)
{
	struct mem_cgroup *memcg = get_mem_cgroup_from_mm(current->mm);

	if (memcg && !memcg->css.parent) {
		css_put(&memcg->css);
		memcg = NULL;
	}
	return memcg;
}

/* tcp-v1: the whole batch at once, then a memcg tag on each page. */
static void zctcp_charge_v1(struct page **pages, unsigned int n,
			    struct zctcp_batch *b)
{
	struct mem_cgroup *memcg = zctcp_task_memcg();
	unsigned int i, tagged = 0;

	b->allowed = n;
	if (!memcg)
		return;
	if (kmemcg_raw_charge(&zctcp_mc, memcg, n, GFP_KERNEL)) {
		zctcp_count(ZCTCP_CHARGE_FAILURES, 1);
		b->allowed = 0;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!zctcp_chargeable(pages[i]) ||
		    cmpxchg(&pages[i]->memcg_data, 0, (unsigned long)memcg)) {
			zctcp_count(ZCTCP_PAGES_IN_USE, 1);
			continue;
		}
		/* The tag's reference, dropped by mem_cgroup_uncharge(). */
		css_get(&memcg->css);
		__set_bit(i, &b->charged);
		tagged++;
	}
	zctcp_count(ZCTCP_PAGES_CHARGED, tagged);
	if (tagged < n)
		kmemcg_raw_uncharge(&zctcp_mc, memcg, n - tagged);
out:
	css_put(&memcg->css);
}

/* Undo this call's charge of a page that was not mapped. */
static void zctcp_uncharge(struct page *page)
{
	struct mem_cgroup *memcg;

	zctcp_count(ZCTCP_PAGES_UNCHARGED, 1);
	if (zctcp_design != ZCTCP_DESIGN_V1) {
		zctcp_mc.kmem_uncharge_page(page, 0);
		return;
	}
	memcg = (struct mem_cgroup *)READ_ONCE(page->memcg_data);
	WRITE_ONCE(page->memcg_data, 0);
	kmemcg_raw_uncharge(&zctcp_mc, memcg, 1);
	css_put(&memcg->css);
}

static void zctcp_zap(struct vm_area_struct *vma, unsigned long address,
		      unsigned long size)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	zap_page_range_single(vma, address, size, NULL);
#else
	zap_page_range(vma, address, size);
#endif
}

/*
 * tcp_zerocopy_vm_insert_batch_error(), inlined in the kernel, as it is
 * there but for *pages_remaining, which the caller needs back: at least
 * one page did not map; zap and retry if we skipped the zap earlier, and
 * leave what still did not map to be copied.
 */
static int zctcp_insert_error(struct vm_area_struct *vma,
			      struct page **pending_pages,
			      unsigned long *pages_remaining,
			      unsigned long *address, u32 *length, u32 *seq,
			      struct tcp_zerocopy_receive *zc,
			      u32 total_bytes_to_map, int err)
{
	if (err == -EBUSY &&
	    zc->flags & TCP_RECEIVE_ZEROCOPY_FLAG_TLB_CLEAN_HINT) {
		u32 maybe_zap_len;

		maybe_zap_len = total_bytes_to_map -  /* All bytes to map */
				*length + /* Mapped or pending */
				(*pages_remaining * PAGE_SIZE); /* Failed map. */
		zctcp_zap(vma, *address, maybe_zap_len);
		err = 0;
	}

	if (!err) {
		unsigned long leftover_pages = *pages_remaining;
		int bytes_mapped;

		err = vm_insert_pages(vma, *address, pending_pages,
				      pages_remaining);
		bytes_mapped = PAGE_SIZE * (leftover_pages - *pages_remaining);
		*seq += bytes_mapped;
		*address += bytes_mapped;
	}
	if (err) {
		const int bytes_not_mapped = PAGE_SIZE * *pages_remaining;

		*length -= bytes_not_mapped;
		zc->recv_skip_hint += bytes_not_mapped;
	}
	return err;
}

/**
 * zctcp_vm_insert_batch() - tcp_zerocopy_vm_insert_batch(), charging
 * @vma: the receiver's mapping of the socket
 * @pages: the pages to map, in order
 * @pages_to_map: how many (at most TCP_ZEROCOPY_PAGE_BATCH_SIZE)
 * @address: where the next page goes; advanced past what was mapped
 * @length: bytes collected for mapping so far in this call; what was not
 *	mapped is taken off
 * @seq: the stream position; advanced past what was mapped
 * @zc: the user's request; recv_skip_hint grows by what was not mapped
 * @total_bytes_to_map: bytes this call set out to map
 *
 * Charges the pages as the design says (file comment), maps those the
 * charge allows, and undoes the charge of any that did not map; then
 * stops at the pause point if the process armed it (pause.c). Runs in the receiving task, under its mmap read lock and the
 * socket lock.
 *
 * Return: 0, the error of vm_insert_pages(), or -ENOMEM when the charge
 * refused pages: the caller then stops mapping, and reports success if
 * anything was mapped, with recv_skip_hint telling what to copy.
 */
int zctcp_vm_insert_batch(struct vm_area_struct *vma, struct page **pages,
			  unsigned int pages_to_map, unsigned long *address,
			  u32 *length, u32 *seq,
			  struct tcp_zerocopy_receive *zc,
			  u32 total_bytes_to_map)
{
	struct zctcp_batch b = { .allowed = pages_to_map };
	unsigned long pages_remaining;
	unsigned int refused, mapped, i;
	int err;

	zctcp_count(ZCTCP_BATCHES, 1);
	if (WARN_ON_ONCE(pages_to_map > ZCTCP_BATCH_PAGES))
		pages_to_map = ZCTCP_BATCH_PAGES;
	if (zctcp_design == ZCTCP_DESIGN_KMEM)
		zctcp_charge_kmem(pages, pages_to_map, &b);
	else if (zctcp_design == ZCTCP_DESIGN_KMEM_BATCHED)
		zctcp_charge_kmem_bulk(pages, pages_to_map, &b);
	else
		zctcp_charge_v1(pages, pages_to_map, &b);

	/* What the charge refused is left to copy, as a failed insert is. */
	refused = pages_to_map - b.allowed;
	if (refused) {
		*length -= refused * PAGE_SIZE;
		zc->recv_skip_hint += refused * PAGE_SIZE;
		zctcp_count(ZCTCP_PAGES_REFUSED, refused);
	}

	/* Nothing allowed, nothing inserted: not even a page table allocated. */
	pages_remaining = b.allowed;
	err = b.allowed ? vm_insert_pages(vma, *address, pages,
					  &pages_remaining) : 0;
	mapped = b.allowed - pages_remaining;
	/* Even if vm_insert_pages fails, it may have mapped some pages. */
	*seq += PAGE_SIZE * mapped;
	*address += PAGE_SIZE * mapped;
	if (err)
		err = zctcp_insert_error(vma, pages + mapped, &pages_remaining,
					 address, length, seq, zc,
					 total_bytes_to_map, err);

	/* The last pages_remaining of the allowed ones did not map. */
	for (i = b.allowed - pages_remaining; i < b.allowed; i++) {
		if (test_bit(i, &b.charged))
			zctcp_uncharge(pages[i]);
	}
	zctcp_count(ZCTCP_PAGES_MAPPED, b.allowed - pages_remaining);
	if (!err && refused)
		err = -ENOMEM;
	if (!err)
		zctcp_pause_point(*length);
	return err;
}

static int zctcp_counters_show(struct seq_file *m, void *unused)
{
	int i;

	for (i = 0; i < ZCTCP_NR_COUNTERS; i++)
		seq_printf(m, "%s %ld\n", zctcp_counter_names[i],
			   atomic_long_read(&zctcp_counters[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(zctcp_counters);

/**
 * zctcp_insert_init() - resolve what the replacement calls, add debugfs
 *
 * Return: 0, or the error of ksym_resolve().
 */
int zctcp_insert_init(void)
{
	int ret = ksym_resolve(zctcp_insert_syms,
			       ARRAY_SIZE(zctcp_insert_syms), zctcp_ibt_check,
			       NULL);

	if (ret)
		return ret;
	zctcp_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("counters", 0400, zctcp_debugfs, NULL,
			    &zctcp_counters_fops);
	zctcp_pause_init(zctcp_debugfs);
	return 0;
}

/**
 * zctcp_insert_exit() - remove the debugfs view
 */
void zctcp_insert_exit(void)
{
	zctcp_pause_exit();
	debugfs_remove_recursive(zctcp_debugfs);
}
