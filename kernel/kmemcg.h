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
#include <linux/mm_types.h>
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
	int (*obj_charge)(struct obj_cgroup *objcg, gfp_t gfp, size_t size);
	void (*obj_uncharge)(struct obj_cgroup *objcg, size_t size);
	/* 6.1: get_obj_cgroup_from_current(), with a reference; 6.7+: current_obj_cgroup(), without */
	struct obj_cgroup *(*current_objcg)(void);
};

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#define KMEMCG_CURRENT_OBJCG	"current_obj_cgroup"
#define KMEMCG_CURRENT_OBJCG_REF	false
#else
#define KMEMCG_CURRENT_OBJCG	"get_obj_cgroup_from_current"
#define KMEMCG_CURRENT_OBJCG_REF	true
#endif

/* The struct ksym entries that fill struct kmemcg f (all required). */
#define KMEMCG_KSYMS(f)							\
	{ "__memcg_kmem_charge_page", (void **)&(f).kmem_charge_page },	\
	{ "__memcg_kmem_uncharge_page", (void **)&(f).kmem_uncharge_page }, \
	{ "mem_cgroup_charge_skmem", (void **)&(f).charge_skmem },	\
	{ "mem_cgroup_uncharge_skmem", (void **)&(f).uncharge_skmem },	\
	{ "__mod_memcg_state", (void **)&(f).mod_memcg_state },		\
	{ "obj_cgroup_charge", (void **)&(f).obj_charge },		\
	{ "obj_cgroup_uncharge", (void **)&(f).obj_uncharge },		\
	{ KMEMCG_CURRENT_OBJCG, (void **)&(f).current_objcg }

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

/* The largest bulk kmem charge or uncharge: its bytes fit the stock's unsigned int. */
#define KMEMCG_BULK_MAX_PAGES	(1U << 16)

/*
 * Charge n pages to the calling task's objcg with one call, as n calls of
 * __memcg_kmem_charge_page() would each charge one: obj_cgroup_charge() of
 * n pages' bytes (one page counter charge, from memcg's per-cpu stock when
 * it holds enough; "kernel" in memory.stat), and n references on the objcg
 * taken in one go, one for each page's memcg_data (kmemcg_tag_kmem()). All
 * or nothing; n at most KMEMCG_BULK_MAX_PAGES. Returns the objcg, or NULL
 * with *err 0 when there is none to charge (the root cgroup, as the kmem
 * API) or -ENOMEM when the charge failed.
 */
static inline struct obj_cgroup *kmemcg_charge_bulk(const struct kmemcg *f,
						    unsigned int n, gfp_t gfp,
						    int *err)
{
	struct obj_cgroup *objcg = f->current_objcg();

	*err = 0;
	if (!objcg || !n) {
		if (objcg && KMEMCG_CURRENT_OBJCG_REF)
			obj_cgroup_put(objcg);
		return NULL;
	}
	if (f->obj_charge(objcg, gfp, (size_t)n << PAGE_SHIFT)) {
		if (KMEMCG_CURRENT_OBJCG_REF)
			obj_cgroup_put(objcg);
		*err = -ENOMEM;
		return NULL;
	}
	obj_cgroup_get_many(objcg, KMEMCG_CURRENT_OBJCG_REF ? n - 1 : n);
	return objcg;
}

/* A page's share of kmemcg_charge_bulk(): what __memcg_kmem_charge_page() sets. */
static inline void kmemcg_tag_kmem(struct page *page, struct obj_cgroup *objcg)
{
	page->memcg_data = (unsigned long)objcg | MEMCG_DATA_KMEM;
}

/*
 * Undo the charge of n kmem pages of objcg whose memcg_data the caller has
 * cleared: one obj_cgroup_uncharge() of their bytes and their n references
 * dropped in one go. n at most KMEMCG_BULK_MAX_PAGES.
 */
static inline void kmemcg_uncharge_bulk(const struct kmemcg *f,
					struct obj_cgroup *objcg,
					unsigned int n)
{
	f->obj_uncharge(objcg, (size_t)n << PAGE_SHIFT);
	percpu_ref_put_many(&objcg->refcnt, n);
}

#endif /* _ZCBENCH_KMEMCG_H */
