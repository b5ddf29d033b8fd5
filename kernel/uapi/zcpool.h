/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * zcpool user-space API.
 *
 * This header is the only contract between the zcpool module (kernel/) and
 * the guest programs (vm/). Both sides include it; nothing else is shared.
 * Fields added here use fixed-width __u64/__u32 types marked (in)/(out).
 */
#ifndef _UAPI_ZCPOOL_H
#define _UAPI_ZCPOOL_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Module version, also reported by /sys/module/zcpool/version. */
#define ZCPOOL_VERSION "0.1.0"

#endif /* _UAPI_ZCPOOL_H */
