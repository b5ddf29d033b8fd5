/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unexported memcg functions zcpool and zctcp both call, and the raw
 * page counter charge built from them (v1's try_charge()). Each module
 * keeps its own struct kmemcg, filled by ksym_resolve() from
 * KMEMCG_KSYMS(); the helpers are static inline, so each module has its
 * own copy. KMEMCG_KSYMS() makes struct ksym entries: include ksym.h.
 */
#ifndef _ZCBENCH_KMEMCG_H
#define _ZCBENCH_KMEMCG_H

#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/memcontrol.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
typedef void (*kmemcg_mod_state_fn)(struct mem_cgroup *memcg,
				    enum memcg_stat_item idx, int val);
#else
typedef void (*kmemcg_mod_state_fn)(struct mem_cgroup *memcg, int idx,
				    int val);
#endif

struct kmemcg {
	int (*kmem_charge_page)(struct page *page, gfp_t gfp, int order);
	void (*kmem_uncharge_page)(struct page *page, int order);
	bool (*charge_skmem)(struct mem_cgroup *memcg, unsigned int nr_pages,
			     gfp_t gfp_mask);
	void (*uncharge_skmem)(struct mem_cgroup *memcg,
			       unsigned int nr_pages);
	kmemcg_mod_state_fn mod_memcg_state;
};

/* The struct ksym entries that fill struct kmemcg f (all required). */
#define KMEMCG_KSYMS(f)							\
	{ "__memcg_kmem_charge_page", (void **)&(f).kmem_charge_page },	\
	{ "__memcg_kmem_uncharge_page", (void **)&(f).kmem_uncharge_page }, \
	{ "mem_cgroup_charge_skmem", (void **)&(f).charge_skmem },	\
	{ "mem_cgroup_uncharge_skmem", (void **)&(f).uncharge_skmem },	\
	{ "__mod_memcg_state", (void **)&(f).mod_memcg_state }

/* Charges that may fail fail gracefully: one reclaim pass, no OOM kill. */
#define KMEMCG_GFP_TRY		(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN)

/* mod_memcg_state(MEMCG_SOCK), whose __ variant wants interrupts off. */
static inline void kmemcg_mod_sock_stat(const struct kmemcg *f,
					struct mem_cgroup *memcg, int val)
{
	unsigned long flags;

	local_irq_save(flags);
	f->mod_memcg_state(memcg, MEMCG_SOCK, val);
	local_irq_restore(flags);
}

/*
 * Charge nr pages to memcg's page counter alone, as v1's try_charge() did:
 * mem_cgroup_charge_skmem() (try_charge() is static) with its MEMCG_SOCK
 * stat taken back. With GFP_KERNEL, at memory.max this reclaims and, for
 * nr <= 8 (PAGE_ALLOC_COSTLY_ORDER), invokes the memcg OOM killer before
 * failing. Returns 0 or -ENOMEM.
 */
static inline int kmemcg_raw_charge(const struct kmemcg *f,
				    struct mem_cgroup *memcg, unsigned int nr,
				    gfp_t gfp)
{
	if (!f->charge_skmem(memcg, nr, gfp))
		return -ENOMEM;
	kmemcg_mod_sock_stat(f, memcg, -(int)nr);
	return 0;
}

/* Undo kmemcg_raw_charge() of nr pages. */
static inline void kmemcg_raw_uncharge(const struct kmemcg *f,
				       struct mem_cgroup *memcg,
				       unsigned int nr)
{
	kmemcg_mod_sock_stat(f, memcg, nr);
	f->uncharge_skmem(memcg, nr);
}

#endif /* _ZCBENCH_KMEMCG_H */
