// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool - test module of the zcbench memcg zero-copy receive bench.
 *
 * Module entry points only for now; each area of the module gets its own
 * file with an <area>_init()/<area>_exit() pair declared in zcpool.h.
 */
#include "zcpool.h"

#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

/**
 * zcpool_init() - load the module
 *
 * Return: 0 on success, a negative errno otherwise.
 */
static int __init zcpool_init(void)
{
	pr_info("version %s loaded\n", ZCPOOL_VERSION);
	return 0;
}

/**
 * zcpool_exit() - unload the module, undoing zcpool_init()
 */
static void __exit zcpool_exit(void)
{
	pr_info("unloaded\n");
}

module_init(zcpool_init);
module_exit(zcpool_exit);

MODULE_DESCRIPTION("zcbench test module for memcg accounting of TCP zero-copy receive");
MODULE_LICENSE("GPL");
MODULE_VERSION(ZCPOOL_VERSION);
