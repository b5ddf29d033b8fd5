// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-fuzz's operations on /dev/zcpool: open, close, FEED, RECEIVE,
 * STATS, RECLAIM, mmap, munmap, mremap, madvise(MADV_DONTNEED), read() (the
 * copy path), touching mapped pages, fork (the child runs a few operations
 * on what it inherited) and vmsplice into a pipe. Each draws its arguments
 * from the thread's generator, in an order that must not change; a traced
 * thread prints each as "<trace>: <operation>[ = -1 <errno>]".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"
#include "ktap.h"
#include "zcpool_util.h"

const char *const op_names[NR_OPS] = {
	"open", "close", "feed", "receive", "stats", "reclaim", "mmap",
	"munmap", "mremap", "madvise", "read", "touch", "fork", "vmsplice",
	"tcp-connect", "tcp-send", "tcp-zc-receive",
};

static __thread sigjmp_buf touch_jmp;
static __thread volatile sig_atomic_t touching;

static void touch_fault(int sig)
{
	if (touching)
		siglongjmp(touch_jmp, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

void fuzz_signals(void)
{
	signal(SIGBUS, touch_fault);
	signal(SIGSEGV, touch_fault);
	signal(SIGPIPE, SIG_IGN);
}

/* What mmap() or mremap() returned becomes m, if it worked: 0, else -1. */
static int map_result(struct fuzz_map *m, void *p, size_t len)
{
	if (p == MAP_FAILED)
		return -1;
	m->addr = p;
	m->len = len;
	return 0;
}

/* Read a byte of every page of m: 0, or -1 (EFAULT) on SIGBUS or SIGSEGV. */
static int touch_pages(const struct fuzz_map *m)
{
	volatile unsigned char sink = 0;
	int ret = 0;
	size_t i;

	touching = 1;
	if (!sigsetjmp(touch_jmp, 1)) {
		for (i = 0; i < m->len; i += ZCP_PAGE)
			sink ^= m->addr[i];
	} else {
		ret = -1;	/* not received, or gone */
		errno = EFAULT;
	}
	touching = 0;
	(void)sink;
	return ret;
}

/* An address as a traced operation shows it: in which mapping, if any. */
const char *where(const struct fuzz_thread *t, uint64_t addr, char *buf, size_t len)
{
	int i;

	for (i = 0; i < FUZZ_MAPS; i++) {
		const struct fuzz_map *m = &t->maps[i];

		if (m->addr && addr >= (uintptr_t)m->addr && addr < (uintptr_t)m->addr + m->len) {
			snprintf(buf, len, "map%d+%#llx", i, (unsigned long long)(addr - (uintptr_t)m->addr));
			return buf;
		}
	}
	snprintf(buf, len, "%#llx", (unsigned long long)addr);
	return buf;
}

static int op_open(struct fuzz_thread *t, const struct op_args *a)
{
	if (t->fds[a->slot] < 0) {
		int flags = fuzz_below(t, 8) ? O_RDWR : O_RDONLY;

		t->fds[a->slot] = open(ZCPOOL_DEVICE, flags);
		TRACE(t, "open(%s) -> fd %d (slot %d)", flags == O_RDWR ? "O_RDWR" : "O_RDONLY", t->fds[a->slot], a->slot);
	}
	return t->fds[a->slot] < 0 ? -1 : 0;
}

static int op_close(struct fuzz_thread *t, const struct op_args *a)
{
	int ret = 0;

	if (t->fds[a->slot] >= 0) {
		TRACE(t, "close(fd %d)", t->fds[a->slot]);
		ret = close(t->fds[a->slot]);
		t->fds[a->slot] = -1;
	}
	return ret;
}

static int op_feed(struct fuzz_thread *t, const struct op_args *a)
{
	struct zcpool_feed f = { 0 };
	bool bad;
	int fd;

	/* One draw after another, in this order: a seed names the sequence. */
	f.bytes = fuzz_len(t);
	f.pattern = fuzz_next(t);
	f.unit_pages = fuzz_below(t, 4) ? fuzz_below(t, ZCPOOL_MAX_UNIT_PAGES + 2) : 0;
	f.flags = fuzz_below(t, 16) ? 0 : fuzz_next(t);
	fd = pick_fd(t);
	bad = !fuzz_below(t, 32);

	(void)a;
	TRACE(t, "FEED(fd %d, %sbytes %#llx, unit_pages %llu, flags %#llx)", fd, bad ? "bad pointer," : "",
	      (unsigned long long)f.bytes, (unsigned long long)f.unit_pages, (unsigned long long)f.flags);
	return ioctl(fd, ZCPOOL_IOC_FEED, bad ? (void *)1 : (void *)&f);
}

static int op_receive(struct fuzz_thread *t, const struct op_args *a)
{
	struct zcpool_receive r = { 0 };
	char addr[40];
	int fd, ret;
	bool bad;

	/* One draw after another, in this order: a seed names the sequence. */
	r.address = fuzz_addr(t);
	r.length = fuzz_len(t);
	r.flags = fuzz_below(t, 16) ? 0 : fuzz_next(t);
	fd = pick_fd(t);
	bad = !fuzz_below(t, 32);

	(void)a;
	TRACE(t, "RECEIVE(fd %d, %saddress %s, length %#llx, flags %#llx)", fd, bad ? "bad pointer," : "",
	      where(t, r.address, addr, sizeof(addr)), (unsigned long long)r.length, (unsigned long long)r.flags);
	ret = ioctl(fd, ZCPOOL_IOC_RECEIVE, bad ? (void *)8 : (void *)&r);
	if (!ret && t->trace)
		snprintf(t->what + strlen(t->what), sizeof(t->what) - strlen(t->what),
			 ", mapped %#llx", (unsigned long long)r.mapped);
	return ret;
}

static int op_stats(struct fuzz_thread *t, const struct op_args *a)
{
	struct zcpool_stats st;
	int fd = pick_fd(t);
	bool bad = !fuzz_below(t, 16);

	(void)a;
	TRACE(t, "STATS(fd %d%s)", fd, bad ? ", bad pointer" : "");
	return ioctl(fd, ZCPOOL_IOC_STATS, bad ? (void *)16 : (void *)&st);
}

static int op_reclaim(struct fuzz_thread *t, const struct op_args *a)
{
	struct zcpool_reclaim rc;
	int fd = pick_fd(t);
	bool null = !fuzz_below(t, 16);

	(void)a;
	TRACE(t, "RECLAIM(fd %d%s)", fd, null ? ", NULL" : "");
	return ioctl(fd, ZCPOOL_IOC_RECLAIM, null ? NULL : &rc);
}

static int op_mmap(struct fuzz_thread *t, const struct op_args *a)
{
	size_t len = fuzz_len(t);
	int prot = fuzz_below(t, 8) ? PROT_READ : PROT_READ | PROT_WRITE;
	int flags = fuzz_below(t, 8) ? MAP_SHARED : MAP_PRIVATE;
	int fd;
	off_t off;

	if (a->m->addr)
		return 0;
	fd = pick_fd(t);
	off = fuzz_below(t, 16) ? 0 : ZCP_PAGE * fuzz_below(t, 4);
	TRACE(t, "map%d = mmap(length %#zx, %s, %s, fd %d, offset %#llx)", a->mi, len,
	      prot & PROT_WRITE ? "PROT_READ|PROT_WRITE" : "PROT_READ",
	      flags == MAP_SHARED ? "MAP_SHARED" : "MAP_PRIVATE", fd, (unsigned long long)off);
	return map_result(a->m, mmap(NULL, len, prot, flags, fd, off), len);
}

static int op_munmap(struct fuzz_thread *t, const struct op_args *a)
{
	struct fuzz_map *m = a->m;
	int ret = 0;

	if (!m->addr)
		return 0;
	if (fuzz_below(t, 4)) {
		TRACE(t, "munmap(map%d, length %#zx)", a->mi, m->len);
		ret = munmap(m->addr, m->len);
		m->addr = NULL;
	} else if (m->len > ZCP_PAGE) {
		/* The last page only: the mapping splits. */
		TRACE(t, "munmap(map%d+%#zx, length %#lx): its last page", a->mi, m->len - ZCP_PAGE, ZCP_PAGE);
		ret = munmap(m->addr + m->len - ZCP_PAGE, ZCP_PAGE);
		m->len -= ZCP_PAGE;
	}
	return ret;
}

static int op_mremap(struct fuzz_thread *t, const struct op_args *a)
{
	size_t len = (1 + fuzz_below(t, FUZZ_MAX_PAGES)) * ZCP_PAGE;
	struct fuzz_map *m = a->m;
	int flags;

	if (!m->addr)
		return 0;
	flags = fuzz_below(t, 2) ? MREMAP_MAYMOVE : 0;
	TRACE(t, "mremap(map%d, %#zx, %#zx, %s)", a->mi, m->len, len, flags ? "MREMAP_MAYMOVE" : "0");
	return map_result(m, mremap(m->addr, m->len, len, flags), len);
}

static int op_madvise(struct fuzz_thread *t, const struct op_args *a)
{
	size_t len;

	if (!a->m->addr)
		return 0;
	len = (1 + fuzz_below(t, a->m->len / ZCP_PAGE)) * ZCP_PAGE;
	TRACE(t, "madvise(map%d, %#zx, MADV_DONTNEED)", a->mi, len);
	return madvise(a->m->addr, len, MADV_DONTNEED);
}

static int op_read(struct fuzz_thread *t, const struct op_args *a)
{
	char buf[2 * ZCP_PAGE];
	int fd = pick_fd(t);
	size_t len = fuzz_below(t, sizeof(buf) + 1);

	(void)a;
	TRACE(t, "read(fd %d, %#zx bytes)", fd, len);
	return read(fd, buf, len) < 0 ? -1 : 0;
}

static int op_touch(struct fuzz_thread *t, const struct op_args *a)
{
	if (!a->m->addr)
		return 0;
	TRACE(t, "read every page of map%d (%#zx bytes)", a->mi, a->m->len);
	return touch_pages(a->m);
}

static int op_fork(struct fuzz_thread *t, const struct op_args *a)
{
	pid_t pid;
	int ret;

	(void)a;
	TRACE(t, "fork, the child runs %d operations", FUZZ_CHILD_OPS);
	if (t->trace)
		ktap_print_msg("%s: %s", t->trace, t->what);
	pid = fork();
	if (pid == 0) {
		t->record = NULL;	/* the parent's states, not the child's */
		t->child = true;
		fuzz_run(t, FUZZ_CHILD_OPS);
		_exit(0);
	}
	ret = pid < 0 ? -1 : (waitpid(pid, NULL, 0) == pid ? 0 : -1);
	TRACE(t, "fork: the child is done");
	return ret;
}

static int op_vmsplice(struct fuzz_thread *t, const struct op_args *a)
{
	int pi = fuzz_below(t, FUZZ_PIPES);
	int (*p)[2] = &t->pipes[pi];
	struct iovec iov;

	if ((*p)[0] >= 0 && fuzz_below(t, 2)) {
		TRACE(t, "close(pipe%d)", pi);
		close((*p)[0]);
		close((*p)[1]);
		(*p)[0] = (*p)[1] = -1;
		return 0;
	}
	if ((*p)[0] < 0 && pipe2(*p, O_NONBLOCK | O_CLOEXEC))
		return -1;
	if (!a->m->addr) {
		TRACE(t, "pipe2(pipe%d)", pi);
		return 0;
	}
	iov.iov_base = a->m->addr;
	iov.iov_len = (1 + fuzz_below(t, a->m->len / ZCP_PAGE)) * ZCP_PAGE;
	TRACE(t, "vmsplice(pipe%d, map%d, %#zx bytes, SPLICE_F_NONBLOCK)", pi, a->mi, iov.iov_len);
	/*
	 * vmsplice() waits for room in a full pipe unless told not
	 * to: the pipe's own O_NONBLOCK does not count.
	 */
	return vmsplice((*p)[1], &iov, 1, SPLICE_F_NONBLOCK) < 0 ? -1 : 0;
}

static int (*const ops[NR_OPS])(struct fuzz_thread *t, const struct op_args *a) = {
	[OP_OPEN] = op_open, [OP_CLOSE] = op_close, [OP_FEED] = op_feed,
	[OP_RECEIVE] = op_receive, [OP_STATS] = op_stats,
	[OP_RECLAIM] = op_reclaim, [OP_MMAP] = op_mmap,
	[OP_MUNMAP] = op_munmap, [OP_MREMAP] = op_mremap,
	[OP_MADVISE] = op_madvise, [OP_READ] = op_read,
	[OP_TOUCH] = op_touch, [OP_FORK] = op_fork,
	[OP_VMSPLICE] = op_vmsplice, [OP_TCP_CONNECT] = op_tcp_connect,
	[OP_TCP_SEND] = op_tcp_send, [OP_TCP_ZC_RECEIVE] = op_tcp_zc_receive,
};

void fuzz_do_op(struct fuzz_thread *t, enum fuzz_op op)
{
	struct op_args a;
	int ret, err;

	a.mi = fuzz_below(t, FUZZ_MAPS);
	a.m = &t->maps[a.mi];
	a.slot = fuzz_below(t, FUZZ_FDS);
	TRACE(t, "%s: nothing to do", op_names[op]);
	ret = ops[op](t, &a);
	err = errno;
	__atomic_add_fetch(&t->counts->ops[op], 1, __ATOMIC_RELAXED);
	if (ret < 0)
		__atomic_add_fetch(&t->counts->failed, 1, __ATOMIC_RELAXED);
	if (t->trace)
		ktap_print_msg("%s: %s%s%s%s", t->trace, t->child ? "  child: " : "", t->what,
			       ret < 0 ? " = -1 " : "", ret < 0 ? strerrorname_np(err) ?: "?" : "");
}
