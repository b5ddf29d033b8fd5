// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool memcg accounting: the unexported memcg functions and the charge
 * primitives the variants are built from (see rx.c for who calls what).
 *
 * __memcg_kmem_charge_page(), __memcg_kmem_uncharge_page(),
 * mem_cgroup_charge_skmem(), mem_cgroup_uncharge_skmem() and
 * __mod_memcg_state() are not exported to modules. They are resolved at
 * load time through kallsyms_lookup_name(), itself found with a kprobe;
 * if any is missing the module refuses to load and names it.
 * cgroup_rstat_flush() (css_rstat_flush() since 6.16) and root_mem_cgroup
 * are optional: they only serve the debugfs file flush_memcg_stats
 * (stats.c), which makes memory.stat exact at once instead of after memcg's
 * periodic flush.
 *
 * A page's charge and its memcg_data always go together:
 *   KMEM       memcg_data = objcg | MEMCG_DATA_KMEM, set and cleared by the
 *              kmem API itself; the page allocator's free path would also
 *              uncharge it, so a kmem page may be freed by anyone.
 *   TAG, RAW, SOCK_UNMAP, SOCK
 *              memcg_data = the memcg (no flag bit, as for a user page),
 *              with a css reference. Such a page must never reach the page
 *              allocator ("page still charged to cgroup"): the pool holds a
 *              reference on it until the tag is cleared.
 * memcg_data is set before the page is inserted into a page table and
 * cleared only when it is mapped nowhere, so NR_FILE_MAPPED, which the rmap
 * code attributes through folio_memcg(), is added and removed on the same
 * memcg.
 */
#include "zcpool.h"

#include <linux/cgroup.h>
#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/kprobes.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/sched.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
typedef void (*zcpool_mod_state_fn)(struct mem_cgroup *memcg,
				    enum memcg_stat_item idx, int val);
#else
typedef void (*zcpool_mod_state_fn)(struct mem_cgroup *memcg, int idx,
				    int val);
#endif

static struct {
	int (*kmem_charge_page)(struct page *page, gfp_t gfp, int order);
	void (*kmem_uncharge_page)(struct page *page, int order);
	bool (*charge_skmem)(struct mem_cgroup *memcg, unsigned int nr_pages,
			     gfp_t gfp_mask);
	void (*uncharge_skmem)(struct mem_cgroup *memcg,
			       unsigned int nr_pages);
	zcpool_mod_state_fn mod_memcg_state;
	/* optional */
	void (*rstat_flush)(struct cgroup *cgrp);
	void (*css_rstat_flush)(struct cgroup_subsys_state *css);
	struct mem_cgroup **root_memcg;
} zcpool_fn;

static const struct {
	const char *name;
	void **addr;
} zcpool_syms[] = {
	{ "__memcg_kmem_charge_page", (void **)&zcpool_fn.kmem_charge_page },
	{ "__memcg_kmem_uncharge_page", (void **)&zcpool_fn.kmem_uncharge_page },
	{ "mem_cgroup_charge_skmem", (void **)&zcpool_fn.charge_skmem },
	{ "mem_cgroup_uncharge_skmem", (void **)&zcpool_fn.uncharge_skmem },
	{ "__mod_memcg_state", (void **)&zcpool_fn.mod_memcg_state },
};

/* Charges that may fail fail gracefully: one reclaim pass, no OOM kill. */
#define ZCPOOL_GFP_TRY		(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN)

/**
 * zcpool_memcg_init() - resolve the unexported memcg functions
 *
 * Return: 0 if all were found, -ENOENT (after naming the missing symbol)
 * or the error of register_kprobe() otherwise.
 */
int zcpool_memcg_init(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long (*lookup)(const char *name);
	size_t i;
	int ret;

	zcpool_fn.rstat_flush = NULL;
	zcpool_fn.css_rstat_flush = NULL;
	zcpool_fn.root_memcg = NULL;
	ret = register_kprobe(&kp);
	if (ret) {
		pr_err("cannot find kallsyms_lookup_name: register_kprobe: %d\n",
		       ret);
		return ret;
	}
	lookup = (void *)kp.addr;
	unregister_kprobe(&kp);

	for (i = 0; i < ARRAY_SIZE(zcpool_syms); i++) {
		*zcpool_syms[i].addr = (void *)lookup(zcpool_syms[i].name);
		if (!*zcpool_syms[i].addr) {
			pr_err("kernel symbol %s not found, refusing to load\n",
			       zcpool_syms[i].name);
			return -ENOENT;
		}
	}
	zcpool_fn.rstat_flush = (void *)lookup("cgroup_rstat_flush");
	if (!zcpool_fn.rstat_flush)
		zcpool_fn.css_rstat_flush = (void *)lookup("css_rstat_flush");
	zcpool_fn.root_memcg = (void *)lookup("root_mem_cgroup");
	if ((!zcpool_fn.rstat_flush && !zcpool_fn.css_rstat_flush) ||
	    !zcpool_fn.root_memcg)
		pr_warn("cgroup_rstat_flush or root_mem_cgroup not found: flush_memcg_stats is unavailable\n");
	return 0;
}

/**
 * zcpool_memcg_flush_stats() - flush memcg's rstat for the whole hierarchy
 *
 * memory.stat shows what the last rstat flush aggregated; memcg flushes
 * about every 2 s, or on a read once enough updates are pending. This
 * flushes now, from the root, so every cgroup's memory.stat is exact.
 * Sleeps.
 *
 * Return: 0, or -EOPNOTSUPP when the kernel symbols were not found.
 */
int zcpool_memcg_flush_stats(void)
{
	struct mem_cgroup *root;

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
	return zcpool_fn.charge_skmem(memcg, nr, nofail ?
				      GFP_KERNEL | __GFP_NOFAIL :
				      ZCPOOL_GFP_TRY);
}

/**
 * zcpool_memcg_sock_uncharge() - undo zcpool_memcg_sock_charge()
 * @memcg: memcg charged, NULL for none
 * @nr: pages
 */
void zcpool_memcg_sock_uncharge(struct mem_cgroup *memcg, unsigned int nr)
{
	if (memcg && nr)
		zcpool_fn.uncharge_skmem(memcg, nr);
}

static void zcpool_mod_sock_stat(struct mem_cgroup *memcg, int val)
{
	unsigned long flags;

	/* mod_memcg_state(), whose __ variant wants interrupts off. */
	local_irq_save(flags);
	zcpool_fn.mod_memcg_state(memcg, MEMCG_SOCK, val);
	local_irq_restore(flags);
}

static void zcpool_tag(struct zcpool_page *d, struct mem_cgroup *memcg)
{
	css_get(&memcg->css);
	d->memcg = memcg;
	WRITE_ONCE(d->page->memcg_data, (unsigned long)memcg);
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
 * @kind: the charge to set up
 * @memcg: memcg for TAG, RAW and SOCK (ignored for KMEM, which charges the
 *	calling task's objcg, and for SOCK_UNMAP, which charges the tag)
 *
 * KMEM and RAW may fail; KMEM in the root cgroup charges nothing and leaves
 * the page uncharged. TAG and SOCK only set the memcg tag: SOCK is a
 * socket charge the caller moved from the unit to the page. SOCK_UNMAP
 * force-charges MEMCG_SOCK for a page already tagged.
 *
 * Return: 0 (d->charge says what was done), or -ENOMEM if the charge
 * failed and the page is left uncharged.
 */
int zcpool_memcg_charge_page(struct zcpool_page *d, enum zcpool_charge kind,
			     struct mem_cgroup *memcg)
{
	switch (kind) {
	case ZCPOOL_CHARGE_KMEM:
		if (zcpool_fn.kmem_charge_page(d->page, ZCPOOL_GFP_TRY, 0))
			return -ENOMEM;
		if (READ_ONCE(d->page->memcg_data))
			d->charge = kind;
		return 0;
	case ZCPOOL_CHARGE_RAW:
		if (!memcg)
			return 0;
		if (!zcpool_fn.charge_skmem(memcg, 1, ZCPOOL_GFP_TRY))
			return -ENOMEM;
		/* v1 charged the page counter only: take the stat back. */
		zcpool_mod_sock_stat(memcg, -1);
		break;
	case ZCPOOL_CHARGE_SOCK_UNMAP:
		if (d->charge != ZCPOOL_CHARGE_TAG)
			return 0;
		zcpool_memcg_sock_charge(d->memcg, 1, true);
		d->charge = kind;
		return 0;
	case ZCPOOL_CHARGE_TAG:
	case ZCPOOL_CHARGE_SOCK:
		if (!memcg)
			return 0;
		break;
	default:
		return 0;
	}
	zcpool_tag(d, memcg);
	d->charge = kind;
	return 0;
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
		zcpool_fn.kmem_uncharge_page(d->page, 0);
		break;
	case ZCPOOL_CHARGE_RAW:
		zcpool_mod_sock_stat(d->memcg, 1);
		zcpool_fn.uncharge_skmem(d->memcg, 1);
		zcpool_untag(d);
		break;
	case ZCPOOL_CHARGE_SOCK_UNMAP:
	case ZCPOOL_CHARGE_SOCK:
		zcpool_fn.uncharge_skmem(d->memcg, 1);
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
