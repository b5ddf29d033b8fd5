/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zcpool private declarations, shared by the files of the module.
 *
 * Include this header first in every zcpool source file: it sets the
 * "zcpool: " prefix of pr_*() messages.
 */
#ifndef _ZCPOOL_H
#define _ZCPOOL_H

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "uapi/zcpool.h"

#endif /* _ZCPOOL_H */
