/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup v2 helpers, after tools/testing/selftests/cgroup/cgroup_util.h.
 *
 * A cgroup is named by its full path (e.g. "/sys/fs/cgroup/zc-foo"), a
 * control by its file name in it ("memory.current"). Functions returning
 * int give 0 on success and -1 with errno set on failure.
 */
#ifndef ZCBENCH_CGROUP_UTIL_H
#define ZCBENCH_CGROUP_UTIL_H

#include <stddef.h>
#include <sys/types.h>

#define CG_ROOT "/sys/fs/cgroup"
/* Room for the text of a flat-keyed file such as memory.stat. */
#define CG_STAT_BYTES	16384

/* Format CG_ROOT "/" name into buf (PATH_MAX bytes). */
char *cg_name(char *buf, const char *name);

int cg_create(const char *cgroup);
int cg_destroy(const char *cgroup);

/* Move pid (0: the calling process) into cgroup. */
int cg_enter(const char *cgroup, pid_t pid);

/* Read a control file into buf, NUL-terminated. Returns the length or -1. */
ssize_t cg_read(const char *cgroup, const char *control, char *buf,
		size_t len);
int cg_write(const char *cgroup, const char *control, const char *buf);

/*
 * A control file kept open: open it (flags: O_RDONLY, O_WRONLY, O_RDWR),
 * then read it from its start or write it whole, as often as needed. Once
 * read, a control file keeps its buffer: reading it again allocates
 * nothing, which is what a sample taken where no allocation may happen
 * (at a memory.max, inside a charge window) needs. cg_open() returns the
 * fd or -1; cg_fd_read() the length or -1.
 */
int cg_open(const char *cgroup, const char *control, int flags);
ssize_t cg_fd_read(int fd, char *buf, size_t len);
int cg_fd_write(int fd, const char *buf);

/* The number an open control holds (key NULL), or the value of its line "key value". */
long cg_fd_read_long(int fd, const char *key);

/* A control holding one number, e.g. memory.current. -1 on failure. */
long cg_read_long(const char *cgroup, const char *control);

/* The value of "key value" line of a flat-keyed file such as memory.stat. */
long cg_read_key_long(const char *cgroup, const char *control,
		      const char *key);

/* The value of the "key value" line in buf, the text of such a file. */
long cg_key_long(const char *buf, const char *key);

#endif /* ZCBENCH_CGROUP_UTIL_H */
