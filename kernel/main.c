// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool - test module of the zcbench memcg zero-copy receive bench.
 *
 * A small simulated NIC: a private page pool whose pages are "received"
 * into user space the way TCP_ZEROCOPY_RECEIVE maps them, and charged to
 * memory cgroups according to a selectable design (module parameter
 * "variant"; kernel/README.md describes each one).
 *
 * Module entry points and parameters only; each area of the module has its
 * own file with an <area>_init()/<area>_exit() pair declared in zcpool.h.
 */
#include "zcpool.h"

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/string.h>

static const char * const zcpool_variant_names[ZCPOOL_NR_VARIANTS] =
	ZCPOOL_VARIANT_NAMES;

static unsigned long zcpool_pool_pages = ZCPOOL_DEFAULT_POOL_PAGES;
unsigned int zcpool_recycle_ms = 1000;
enum zcpool_fault zcpool_fault = ZCPOOL_FAULT_OFF;
bool zcpool_ibt_check;

static const char * const zcpool_fault_names[] = {
	[ZCPOOL_FAULT_OFF]		= ZCPOOL_FAULT_NONE,
	[ZCPOOL_FAULT_LEAK_ORPHANS]	= ZCPOOL_FAULT_ORPHAN_LEAK,
	[ZCPOOL_FAULT_OOPS_ON_ORPHANS]	= ZCPOOL_FAULT_ORPHAN_OOPS,
	[ZCPOOL_FAULT_LYING_COUNTERS]	= ZCPOOL_FAULT_COUNTERS_LIE,
	[ZCPOOL_FAULT_UAF_ON_ORPHANS]	= ZCPOOL_FAULT_ORPHAN_UAF,
	[ZCPOOL_FAULT_RELEASE_SLOWLY]	= ZCPOOL_FAULT_SLOW_RELEASE,
};

/**
 * zcpool_variant_name() - the name of a variant, as the parameter takes it
 * @v: the variant
 *
 * Return: the name, or "?" for an invalid value.
 */
const char *zcpool_variant_name(enum zcpool_variant v)
{
	return v < ZCPOOL_NR_VARIANTS ? zcpool_variant_names[v] : "?";
}

static int zcpool_param_variant_set(const char *val,
				    const struct kernel_param *kp)
{
	int v = sysfs_match_string(zcpool_variant_names, val);

	return v < 0 ? v : zcpool_dev_set_variant(v);
}

static int zcpool_param_variant_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n",
			 zcpool_variant_name(zcpool_dev_variant()));
}

static const struct kernel_param_ops zcpool_variant_ops = {
	.set = zcpool_param_variant_set,
	.get = zcpool_param_variant_get,
};
module_param_cb(variant, &zcpool_variant_ops, NULL, 0644);
MODULE_PARM_DESC(variant,
		 "accounting of received pages: unaccounted, v1, v2, pool-free (default), batch or steal; "
		 "changes only while no queue is open");

static int zcpool_param_pool_pages_set(const char *val,
				       const struct kernel_param *kp)
{
	unsigned long pages;
	int ret;

	ret = kstrtoul(val, 0, &pages);
	if (ret)
		return ret;
	ret = zcpool_pool_set_max(pages);
	if (!ret)
		zcpool_pool_pages = pages;
	return ret;
}

static const struct kernel_param_ops zcpool_pool_pages_ops = {
	.set = zcpool_param_pool_pages_set,
	.get = param_get_ulong,
};
module_param_cb(pool_pages, &zcpool_pool_pages_ops, &zcpool_pool_pages, 0644);
MODULE_PARM_DESC(pool_pages,
		 "most pages the pool owns; FEED fails with ENOBUFS beyond (default 32768)");

module_param_named(recycle_ms, zcpool_recycle_ms, uint, 0444);
MODULE_PARM_DESC(recycle_ms,
		 "period of the recycling worker in ms, 0: on allocation and RECLAIM only (default 1000)");

static int zcpool_param_fault_set(const char *val,
				  const struct kernel_param *kp)
{
	int i = sysfs_match_string(zcpool_fault_names, val);

	if (i < 0)
		return i;
	WRITE_ONCE(zcpool_fault, i);
	if (i != ZCPOOL_FAULT_OFF)
		pr_notice("fault %s injected\n", zcpool_fault_names[i]);
	return 0;
}

static int zcpool_param_fault_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n",
			 zcpool_fault_names[READ_ONCE(zcpool_fault)]);
}

static const struct kernel_param_ops zcpool_fault_ops = {
	.set = zcpool_param_fault_set,
	.get = zcpool_param_fault_get,
};
module_param_cb(fault, &zcpool_fault_ops, NULL, 0644);
MODULE_PARM_DESC(fault,
		 "inject a bug, to test the tests: none (default), orphan-leak "
		 "(pages still out at their queue's release are leaked when recycled, still charged), "
		 "orphan-oops (BUG() on such a page instead), "
		 "counters-lie (the double- and under-charge counters read 0; charges unchanged) "
		 "orphan-uaf (such a page reads its freed queue when recycled: KASAN sees it) "
		 "or slow-release (a unit's release sleeps 2 ms after the pool lock: a wider window, no bug)");

module_param_named(ibt_check, zcpool_ibt_check, bool, 0444);
MODULE_PARM_DESC(ibt_check,
		 "check at load that every function called through a pointer starts with ENDBR, "
		 "as when IBT is on (default: only when IBT is on); refuse to load (ENOEXEC) otherwise");

/**
 * zcpool_init() - load the module
 *
 * Return: 0 on success, a negative errno otherwise.
 */
static int __init zcpool_init(void)
{
	int ret;

	ret = zcpool_memcg_init();
	if (ret)
		return ret;
	ret = zcpool_pool_init(zcpool_pool_pages);
	if (ret)
		return ret;
	ret = zcpool_stats_init();
	if (ret)
		goto err_pool;
	ret = zcpool_dev_init();
	if (ret)
		goto err_stats;

	pr_info("version %s loaded, variant %s, pool_pages %lu\n",
		ZCPOOL_VERSION, zcpool_variant_name(zcpool_dev_variant()),
		zcpool_pool_pages);
	return 0;

err_stats:
	zcpool_stats_exit();
err_pool:
	zcpool_pool_exit();
	return ret;
}

/**
 * zcpool_exit() - unload the module, undoing zcpool_init()
 */
static void __exit zcpool_exit(void)
{
	zcpool_dev_exit();
	zcpool_stats_exit();
	zcpool_pool_exit();
	pr_info("unloaded\n");
}

module_init(zcpool_init);
module_exit(zcpool_exit);

MODULE_DESCRIPTION("zcbench test module for memcg accounting of TCP zero-copy receive");
MODULE_LICENSE("GPL");
MODULE_VERSION(ZCPOOL_VERSION);
