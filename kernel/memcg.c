// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool memcg accounting: the unexported memcg functions and the charge
 * primitives the variants are built from (see batch.c and rx.c for who
 * calls what).
 *
 * __memcg_kmem_charge_page(), __memcg_kmem_uncharge_page(),
 * mem_cgroup_charge_skmem(), mem_cgroup_uncharge_skmem(),
 * __mod_memcg_state(), obj_cgroup_charge(), obj_cgroup_uncharge() and the
 * task's objcg (get_obj_cgroup_from_current() before 6.7,
 * current_obj_cgroup() since) are not exported to modules. They are resolved at
 * load time (ksym.c); if any is missing the module refuses to load and
 * names it.
 * cgroup_rstat_flush() (css_rstat_flush() since 6.16), root_mem_cgroup and
 * drain_local_stock() are optional: they only serve the debugfs file
 * flush_memcg_stats (stats.c), which drains memcg's per-cpu charge stock
 * (memory.current exact) and flushes memcg's rstat (memory.stat exact) at
 * once instead of after memcg's periodic flush.
 *
 * Every function found this way is called through a pointer: with IBT on,
 * or the parameter ibt_check=1, each must start with ENDBR (ksym.c).
 *
 * A page's charge and its memcg_data always go together:
 *   KMEM       memcg_data = objcg | MEMCG_DATA_KMEM, set and cleared by the
 *              kmem API itself; the page allocator's free path would also
 *              uncharge it, so a kmem page may be freed by anyone.
 *   KMEM_BULK  the same memcg_data, each page with an objcg reference of
 *              its own, but charged for a whole batch with one
 *              obj_cgroup_charge() (kmemcg.h), and uncharged with one
 *              obj_cgroup_uncharge() per recycling pass and objcg; the kmem
 *              API and the free path may still drop it page by page.
 *   TAG, RAW, SOCK_UNMAP, SOCK
 *              memcg_data = the memcg (no flag bit, as for a user page),
 *              with a css reference. Such a page must never reach the page
 *              allocator ("page still charged to cgroup"): the pool holds a
 *              reference on it until the tag is cleared.
 * memcg_data is set before the page is inserted into a page table and
 * cleared only when it is mapped nowhere, so NR_FILE_MAPPED, which the rmap
 * code attributes through folio_memcg(), is added and removed on the same
 * memcg. A TAG is set with cmpxchg() from 0, as v2 did: a page whose
 * memcg_data is in use is left alone.
 */
#include "zcpool.h"

#include <linux/cgroup.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/sched.h>
#include <linux/version.h>
#include <linux/workqueue.h>

#include "kmemcg.h"
#include "ksym.h"

/* The memcg functions the designs call. */
static struct kmemcg zcpool_mc;

/* The optional ones, for flush_memcg_stats. */
static struct {
	void (*rstat_flush)(struct cgroup *cgrp);
	void (*css_rstat_flush)(struct cgroup_subsys_state *css);
	void (*drain_local_stock)(struct work_struct *dummy);
	struct mem_cgroup **root_memcg;
} zcpool_fn;

/* What zcpool_mc and zcpool_fn hold; optional ones may stay NULL. */
static const struct ksym zcpool_syms[] = {
	KMEMCG_KSYMS(zcpool_mc),
	/* css_rstat_flush() replaces cgroup_rstat_flush() in 6.16 */
	{ "cgroup_rstat_flush", (void **)&zcpool_fn.rstat_flush, true },
	{ "css_rstat_flush", (void **)&zcpool_fn.css_rstat_flush, true },
	{ "drain_local_stock", (void **)&zcpool_fn.drain_local_stock, true },
	{ "root_mem_cgroup", (void **)&zcpool_fn.root_memcg, true, true },
};

/**
 * zcpool_memcg_init() - resolve the unexported memcg functions
 *
 * ksym_resolve() looks them up and, when IBT is on or the module parameter
 * ibt_check forces it, checks that each starts with ENDBR.
 *
 * Return: 0 if all were found, or the error of ksym_resolve().
 */
int zcpool_memcg_init(void)
{
	int ret = ksym_resolve(zcpool_syms, ARRAY_SIZE(zcpool_syms),
			       zcpool_ibt_check, NULL);

	if (ret)
		return ret;
	if ((!zcpool_fn.rstat_flush && !zcpool_fn.css_rstat_flush) ||
	    !zcpool_fn.root_memcg)
		pr_warn("cgroup_rstat_flush or root_mem_cgroup not found: flush_memcg_stats is unavailable\n");
	if (!zcpool_fn.drain_local_stock)
		pr_info("drain_local_stock not found: flush_memcg_stats does not drain the per-cpu charge stock\n");
	return 0;
}

/**
 * zcpool_memcg_can_drain_stock() - does flush_memcg_stats drain the stock?
 *
 * Return: true if drain_local_stock() was found (and may be called).
 */
bool zcpool_memcg_can_drain_stock(void)
{
	return zcpool_fn.drain_local_stock;
}

static long zcpool_drain_this_cpu(void *unused)
{
	/* drain_local_stock() ignores its work item: it drains this CPU's. */
	zcpool_fn.drain_local_stock(NULL);
	return 0;
}

/*
 * Give back the charges memcg keeps in its per-cpu stock (up to
 * MEMCG_CHARGE_BATCH pages per CPU, charged to the page counter in advance)
 * on every online CPU, and wait for it: memory.current is then exactly what
 * is charged. drain_all_stock() would only schedule the work.
 */
static void zcpool_drain_stock(void)
{
	int cpu;

	cpus_read_lock();
	for_each_online_cpu(cpu)
		work_on_cpu(cpu, zcpool_drain_this_cpu, NULL);
	cpus_read_unlock();
}

/**
 * zcpool_memcg_flush_stats() - make memory.current and memory.stat exact
 *
 * memory.current counts the per-cpu charge stock too; memory.stat shows
 * what the last rstat flush aggregated (memcg flushes about every 2 s, or
 * on a read once enough updates are pending). This drains the stock on
 * every online CPU where drain_local_stock() was found, then flushes rstat
 * from the root, so every cgroup's files are exact. Sleeps.
 *
 * Return: 0, or -EOPNOTSUPP when the rstat symbols were not found (the
 * stock is drained anyway).
 */
int zcpool_memcg_flush_stats(void)
{
	struct mem_cgroup *root;

	if (zcpool_fn.drain_local_stock)
		zcpool_drain_stock();
	if (!zcpool_fn.root_memcg)
		return -EOPNOTSUPP;
	root = READ_ONCE(*zcpool_fn.root_memcg);
	if (!root)
		return -EOPNOTSUPP;
	if (zcpool_fn.rstat_flush)
		zcpool_fn.rstat_flush(root->css.cgroup);
	else if (zcpool_fn.css_rstat_flush)
		zcpool_fn.css_rstat_flush(&root->css);
	else
		return -EOPNOTSUPP;
	return 0;
}

/**
 * zcpool_memcg_get_current() - the memcg of the calling task's mm
 *
 * Like sk->sk_memcg, the root cgroup counts as none.
 *
 * Return: the memcg with a css reference, or NULL for the root cgroup or
 * when the memory controller is disabled.
 */
struct mem_cgroup *zcpool_memcg_get_current(void)
{
	struct mem_cgroup *memcg = get_mem_cgroup_from_mm(current->mm);

	if (memcg && !memcg->css.parent) {
		css_put(&memcg->css);
		memcg = NULL;
	}
	return memcg;
}

/**
 * zcpool_memcg_put() - drop a reference from zcpool_memcg_get_current()
 * @memcg: the memcg, or NULL
 */
void zcpool_memcg_put(struct mem_cgroup *memcg)
{
	if (memcg)
		css_put(&memcg->css);
}

/**
 * zcpool_memcg_id() - identify a memcg to user space
 * @memcg: the memcg, or NULL
 *
 * Return: the inode number of its cgroup directory, 0 for NULL (root).
 */
u64 zcpool_memcg_id(struct mem_cgroup *memcg)
{
	return memcg ? cgroup_ino(memcg->css.cgroup) : 0;
}

/**
 * zcpool_memcg_sock_charge() - charge socket memory, as sk_rmem is charged
 * @memcg: memcg to charge, NULL for none
 * @nr: pages
 * @nofail: force the charge past memory.max instead of failing
 *
 * Shows as "sock" in memory.stat.
 *
 * Return: true if charged (always for NULL or @nofail), false otherwise.
 */
bool zcpool_memcg_sock_charge(struct mem_cgroup *memcg, unsigned int nr,
			      bool nofail)
{
	if (!memcg || !nr)
		return true;
	return zcpool_mc.charge_skmem(memcg, nr, nofail ?
				      GFP_KERNEL | __GFP_NOFAIL :
				      KMEMCG_GFP_TRY);
}

/**
 * zcpool_memcg_sock_uncharge() - undo zcpool_memcg_sock_charge()
 * @memcg: memcg charged, NULL for none
 * @nr: pages
 */
void zcpool_memcg_sock_uncharge(struct mem_cgroup *memcg, unsigned int nr)
{
	if (memcg && nr)
		zcpool_mc.uncharge_skmem(memcg, nr);
}

/**
 * zcpool_memcg_raw_charge() - v1's charge of a whole batch, before insert
 * @memcg: the receiving task's memcg, NULL for none
 * @nr: pages
 *
 * v1 called try_charge() (static): here mem_cgroup_charge_skmem(), with
 * its MEMCG_SOCK stat taken back, so only the page counter moves. With
 * GFP_KERNEL, as the patch: at memory.max this reclaims before failing,
 * and invokes the memcg OOM killer only for @nr <= 8 (try_charge() skips it
 * above PAGE_ALLOC_COSTLY_ORDER). Each page then gets a RAW tag
 * (zcpool_memcg_charge_page()), and is uncharged one by one.
 *
 * Return: 0 (always for NULL), or -ENOMEM if the charge failed.
 */
int zcpool_memcg_raw_charge(struct mem_cgroup *memcg, unsigned int nr)
{
	if (!memcg || !nr)
		return 0;
	return kmemcg_raw_charge(&zcpool_mc, memcg, nr, GFP_KERNEL);
}

/**
 * zcpool_memcg_raw_uncharge() - undo zcpool_memcg_raw_charge()
 * @memcg: memcg charged, NULL for none
 * @nr: pages
 */
void zcpool_memcg_raw_uncharge(struct mem_cgroup *memcg, unsigned int nr)
{
	if (memcg && nr)
		kmemcg_raw_uncharge(&zcpool_mc, memcg, nr);
}

/* Tag a page with memcg, from memcg_data 0 only; false if it was in use. */
static bool zcpool_tag(struct zcpool_page *d, struct mem_cgroup *memcg)
{
	if (cmpxchg(&d->page->memcg_data, 0, (unsigned long)memcg))
		return false;
	css_get(&memcg->css);
	d->memcg = memcg;
	return true;
}

static void zcpool_untag(struct zcpool_page *d)
{
	WRITE_ONCE(d->page->memcg_data, 0);
	css_put(&d->memcg->css);
	d->memcg = NULL;
}

/**
 * zcpool_memcg_charge_page() - give a page its own charge, before insert
 * @d: the page; owned by the caller, not mapped anywhere
 * @kind: the charge to set up: KMEM, RAW, TAG or SOCK
 * @memcg: memcg of the tag for RAW, TAG and SOCK (ignored for KMEM, which
 *	charges the calling task's objcg); NULL: nothing is done
 *
 * KMEM charges the page and may fail; in the root cgroup it charges
 * nothing and leaves the page uncharged. The others only tag the page
 * (cmpxchg() from memcg_data 0): RAW is the page's share of a charge the
 * caller took with zcpool_memcg_raw_charge(), SOCK a socket charge the
 * caller moved from the unit to the page, TAG v2's tag, charged later in
 * bulk by the caller (zcpool_memcg_sock_charge(), then charge SOCK_UNMAP).
 *
 * Return: 0 (d->charge says what was done), -ENOMEM if the KMEM charge
 * failed, -EBUSY if memcg_data was in use and the page was not tagged;
 * the page is left uncharged on error.
 */
int zcpool_memcg_charge_page(struct zcpool_page *d, enum zcpool_charge kind,
			     struct mem_cgroup *memcg)
{
	switch (kind) {
	case ZCPOOL_CHARGE_KMEM:
		if (zcpool_mc.kmem_charge_page(d->page, KMEMCG_GFP_TRY, 0))
			return -ENOMEM;
		if (READ_ONCE(d->page->memcg_data))
			d->charge = kind;
		return 0;
	case ZCPOOL_CHARGE_RAW:
	case ZCPOOL_CHARGE_TAG:
	case ZCPOOL_CHARGE_SOCK:
		if (!memcg)
			return 0;
		if (!zcpool_tag(d, memcg))
			return -EBUSY;
		d->charge = kind;
		return 0;
	default:
		return 0;
	}
}

/**
 * zcpool_memcg_uncharge_page() - drop a page's own charge and memcg tag
 * @d: the page; owned by the caller and mapped nowhere
 *
 * For SOCK the caller has not moved the charge back to a unit: it is
 * uncharged here.
 */
void zcpool_memcg_uncharge_page(struct zcpool_page *d)
{
	switch (d->charge) {
	case ZCPOOL_CHARGE_KMEM:
	case ZCPOOL_CHARGE_KMEM_BULK:
		zcpool_mc.kmem_uncharge_page(d->page, 0);
		break;
	case ZCPOOL_CHARGE_RAW:
		zcpool_memcg_raw_uncharge(d->memcg, 1);
		zcpool_untag(d);
		break;
	case ZCPOOL_CHARGE_SOCK_UNMAP:
	case ZCPOOL_CHARGE_SOCK:
		zcpool_mc.uncharge_skmem(d->memcg, 1);
		zcpool_untag(d);
		break;
	case ZCPOOL_CHARGE_TAG:
		zcpool_untag(d);
		break;
	default:
		break;
	}
	d->charge = ZCPOOL_CHARGE_NONE;
}

/**
 * zcpool_memcg_charge_bulk() - pool-free-batched's charge of a batch
 * @pages: the batch; owned by the caller, uncharged, mapped nowhere
 * @n: how many, at most KMEMCG_BULK_MAX_PAGES
 * @err: set to -ENOMEM if a charge failed, else left alone
 *
 * What zcpool_memcg_charge_page() with KMEM does for each page, in one
 * call: kmemcg_charge_bulk() charges the calling task's objcg for all n
 * pages and takes their n objcg references, and each page gets the
 * memcg_data the kmem API would give it (KMEM_BULK). In the root cgroup
 * nothing is charged. If the bulk charge fails (at memory.max), the pages
 * are charged one by one with the kmem API up to the first refusal, so a
 * batch at the limit maps what pool-free's would.
 *
 * Return: how many pages from the head of @pages are charged (all of them
 * unless *@err was set).
 */
unsigned int zcpool_memcg_charge_bulk(struct zcpool_page **pages,
				      unsigned int n, int *err)
{
	struct obj_cgroup *objcg;
	unsigned int i;
	int ret;

	objcg = kmemcg_charge_bulk(&zcpool_mc, n, KMEMCG_GFP_TRY, &ret);
	if (objcg) {
		for (i = 0; i < n; i++) {
			kmemcg_tag_kmem(pages[i]->page, objcg);
			pages[i]->charge = ZCPOOL_CHARGE_KMEM_BULK;
		}
		return n;
	}
	if (!ret)
		return n;	/* the root cgroup: nothing to charge */
	for (i = 0; i < n; i++) {
		ret = zcpool_memcg_charge_page(pages[i], ZCPOOL_CHARGE_KMEM, NULL);
		if (ret) {
			*err = ret;
			break;
		}
	}
	return i;
}

/**
 * zcpool_memcg_uncharge_list() - drop the own charge of every page of a list
 * @pages: zcpool_page entries linked by their node; owned by the caller and
 *	mapped nowhere
 *
 * KMEM_BULK pages that follow one another with the same objcg are
 * uncharged together: their memcg_data cleared, then one
 * kmemcg_uncharge_bulk() for all of them. Every other page is uncharged as
 * zcpool_memcg_uncharge_page() does (so pool-free stays page by page).
 */
void zcpool_memcg_uncharge_list(struct list_head *pages)
{
	struct obj_cgroup *objcg = NULL, *this;
	struct zcpool_page *d;
	unsigned int n = 0;

	list_for_each_entry(d, pages, node) {
		if (d->charge != ZCPOOL_CHARGE_KMEM_BULK) {
			zcpool_memcg_uncharge_page(d);
			continue;
		}
		this = __folio_objcg(page_folio(d->page));
		if (n && (this != objcg || n == KMEMCG_BULK_MAX_PAGES)) {
			kmemcg_uncharge_bulk(&zcpool_mc, objcg, n);
			n = 0;
		}
		objcg = this;
		WRITE_ONCE(d->page->memcg_data, 0);
		d->charge = ZCPOOL_CHARGE_NONE;
		n++;
	}
	if (n)
		kmemcg_uncharge_bulk(&zcpool_mc, objcg, n);
}

/**
 * zcpool_memcg_kmem() - is the page's charge a kmem one?
 * @d: the page
 *
 * Return: true for KMEM and KMEM_BULK: such a charge may stay with a page
 * the pool lets go of, since the page allocator's free path drops it.
 */
bool zcpool_memcg_kmem(const struct zcpool_page *d)
{
	return d->charge == ZCPOOL_CHARGE_KMEM ||
	       d->charge == ZCPOOL_CHARGE_KMEM_BULK;
}

/**
 * zcpool_memcg_until_unmap() - is the page's charge dropped at last unmap?
 * @d: the page
 *
 * Return: true for the v1 and v2 charges (RAW, SOCK_UNMAP), false for
 * charges dropped when the pool recycles the page.
 */
bool zcpool_memcg_until_unmap(const struct zcpool_page *d)
{
	return d->charge == ZCPOOL_CHARGE_RAW ||
	       d->charge == ZCPOOL_CHARGE_SOCK_UNMAP;
}
