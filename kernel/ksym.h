/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unexported kernel functions, resolved at load time: what zcpool and the
 * zctcp livepatch share (ksym.c). Each module compiles ksym.c into itself
 * (zctcp/ksym.c includes it), so its messages carry the module's name.
 */
#ifndef _ZCBENCH_KSYM_H
#define _ZCBENCH_KSYM_H

#include <linux/types.h>

/* One function (or, with data set, a variable) to resolve. */
struct ksym {
	const char *name;
	void **addr;		/* where its address goes; NULL if not found */
	bool optional;		/* missing is fine: *addr stays NULL */
	bool data;		/* a variable: never called, no ENDBR check */
};

typedef unsigned long (*ksym_lookup_fn)(const char *name);

int ksym_resolve(const struct ksym *syms, size_t n, bool ibt_check,
		 ksym_lookup_fn *lookup);
bool ksym_ibt_enabled(void);

#endif /* _ZCBENCH_KSYM_H */
