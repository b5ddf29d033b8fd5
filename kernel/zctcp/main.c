// SPDX-License-Identifier: GPL-2.0
/*
 * zctcp - the livepatch of zcbench: the accounting designs on the stock
 * kernel's own TCP_ZEROCOPY_RECEIVE path.
 *
 * It replaces tcp_zerocopy_vm_insert_batch() (net/ipv4/tcp.c, static, a
 * symbol of its own on Debian 6.1 and 6.12) with a copy that charges each
 * batch of pages to the receiving task's memcg before they are mapped, as
 * the design chosen at load says (README.md). Before patching it checks
 * that the kernel is the one it was built for and that the replaced
 * function has the prototype of the copy (check.c), and resolves what it
 * calls (insert.c); any failure refuses the load and says why.
 *
 * Unloading: write 0 to /sys/kernel/livepatch/zctcp/enabled, wait until
 * its transition reads 0, then delete_module. Pages mapped or pinned by
 * then keep their charge: the kernel's free path drops it (insert.c).
 */
#include "zctcp.h"

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

static const char * const zctcp_design_names[ZCTCP_NR_DESIGNS] =
	ZCTCP_DESIGN_NAMES;

enum zctcp_design zctcp_design = ZCTCP_DESIGN_KMEM;
bool zctcp_ibt_check;
static char *zctcp_build_id = ZCTCP_BUILD_ID;

/**
 * zctcp_design_name() - the name of a design, as the parameter takes it
 * @d: the design
 *
 * Return: the name, or "?" for an invalid value.
 */
const char *zctcp_design_name(enum zctcp_design d)
{
	return d < ZCTCP_NR_DESIGNS ? zctcp_design_names[d] : "?";
}

static int zctcp_param_design_set(const char *val,
				  const struct kernel_param *kp)
{
	int d = sysfs_match_string(zctcp_design_names, val);

	if (d < 0) {
		pr_err("unknown design '%s'\n", val);
		return d;
	}
	if (d == ZCTCP_DESIGN_STOCK) {
		pr_err("%s is the stock kernel: run without the patch\n",
		       zctcp_design_name(d));
		return -EINVAL;
	}
	zctcp_design = d;
	return 0;
}

static int zctcp_param_design_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n",
			 zctcp_design_name(zctcp_design));
}

static const struct kernel_param_ops zctcp_design_ops = {
	.set = zctcp_param_design_set,
	.get = zctcp_param_design_get,
};
module_param_cb(design, &zctcp_design_ops, NULL, 0444);
MODULE_PARM_DESC(design,
		 "how mapped pages are charged: tcp-kmem (default: the kmem API, "
		 "may fail, the rest is copied), tcp-kmem-batched (the same, a batch "
		 "with one charge) or tcp-v1 (the whole batch, GFP_KERNEL, "
		 "as posted in January 2021); README.md");

module_param_named(build_id, zctcp_build_id, charp, 0444);
MODULE_PARM_DESC(build_id,
		 "build ID of the kernel to patch, in hex (default: that of the kernel "
		 "it was built for); any other kernel is refused");

module_param_named(ibt_check, zctcp_ibt_check, bool, 0444);
MODULE_PARM_DESC(ibt_check,
		 "check at load that every function called through a pointer starts with ENDBR, "
		 "as when IBT is on (default: only when IBT is on); refuse to load (ENOEXEC) otherwise");

static struct klp_func zctcp_funcs[] = {
	{
		.old_name = ZCTCP_REPLACED,
		.new_func = zctcp_vm_insert_batch,
	},
	{ }
};

static struct klp_object zctcp_objs[] = {
	{
		/* .name NULL: vmlinux */
		.funcs = zctcp_funcs,
	},
	{ }
};

static struct klp_patch zctcp_patch = {
	.mod = THIS_MODULE,
	.objs = zctcp_objs,
};

/**
 * zctcp_init() - check the kernel, then patch it
 *
 * Return: 0 once the patch is enabled (its transition may still be under
 * way), a negative errno otherwise: -ENOEXEC for a kernel it must not
 * patch, -ENOENT for a missing symbol.
 */
static int __init zctcp_init(void)
{
	int ret;

	ret = zctcp_check_target(zctcp_build_id);
	if (ret)
		return ret;
	ret = zctcp_insert_init();
	if (ret)
		return ret;
	ret = klp_enable_patch(&zctcp_patch);
	if (ret) {
		pr_err("klp_enable_patch: %d\n", ret);
		zctcp_insert_exit();
		return ret;
	}
	pr_info("version %s loaded, design %s: %s replaced\n", ZCTCP_VERSION,
		zctcp_design_name(zctcp_design), ZCTCP_REPLACED);
	return 0;
}

/**
 * zctcp_exit() - remove the module, once the patch is disabled
 */
static void __exit zctcp_exit(void)
{
	zctcp_insert_exit();
	pr_info("unloaded\n");
}

module_init(zctcp_init);
module_exit(zctcp_exit);

MODULE_DESCRIPTION("zcbench livepatch: memcg accounting designs on the real TCP_ZEROCOPY_RECEIVE path");
MODULE_LICENSE("GPL");
MODULE_VERSION(ZCTCP_VERSION);
MODULE_INFO(livepatch, "Y");
