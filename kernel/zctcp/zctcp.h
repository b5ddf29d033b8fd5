/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zctcp private declarations, shared by the files of the livepatch.
 *
 * Include this header first in every zctcp source file: it sets the
 * "zctcp: " prefix of pr_*() messages.
 *
 * Files:
 *   main.c    module entry points, parameters (design, build_id,
 *             ibt_check), the livepatch itself
 *   check.c   what must hold before patching: the kernel it was built
 *             for, the replaced function's prototype (BTF)
 *   insert.c  the replacement of tcp_zerocopy_vm_insert_batch(): each
 *             design's charge, the counters (debugfs)
 *   pause.c   its pause point, for the double charge (debugfs)
 *   ksym.c    unexported symbols (../ksym.c)
 */
#ifndef _ZCTCP_H
#define _ZCTCP_H

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/types.h>

#include "../uapi/zctcp.h"
#include "../ksym.h"

struct page;
struct tcp_zerocopy_receive;
struct vm_area_struct;

/* The function the patch replaces. */
#define ZCTCP_REPLACED		"tcp_zerocopy_vm_insert_batch"

extern enum zctcp_design zctcp_design;
extern bool zctcp_ibt_check;

/* main.c */
const char *zctcp_design_name(enum zctcp_design d);

/* check.c */
int zctcp_check_target(const char *build_id);

/* pause.c */
struct dentry;
void zctcp_pause_init(struct dentry *dir);
void zctcp_pause_exit(void);
void zctcp_pause_point(u32 length);

/* insert.c */
int zctcp_insert_init(void);
void zctcp_insert_exit(void);
int zctcp_vm_insert_batch(struct vm_area_struct *vma, struct page **pages,
			  unsigned int pages_to_map, unsigned long *address,
			  u32 *length, u32 *seq,
			  struct tcp_zerocopy_receive *zc,
			  u32 total_bytes_to_map);

#endif /* _ZCTCP_H */
