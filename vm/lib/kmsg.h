/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel log as /dev/kmsg gives it, record by record, from the moment
 * it was opened: what a module said while a scenario watched.
 */
#ifndef ZCBENCH_KMSG_H
#define ZCBENCH_KMSG_H

#include <stddef.h>

/* /dev/kmsg from its end on, non-blocking; -1 (errno set) if unavailable. */
int kmsg_open(void);

/*
 * The text of the next record (after its "level,seq,time,flags;" header,
 * without the newline), in buf; NULL when there is none yet or fd is -1.
 * Records overwritten since the last read are skipped.
 */
const char *kmsg_next(int fd, char *buf, size_t len);

#endif /* ZCBENCH_KMSG_H */
