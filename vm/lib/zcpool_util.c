// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the zcpool scenarios.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "protocol.h"
#include "zcpool_util.h"

const char *const zcp_variant_names[ZCPOOL_NR_VARIANTS] = ZCPOOL_VARIANT_NAMES;

int zcp_open(void)
{
	return open(ZCPOOL_DEVICE, O_RDWR | O_CLOEXEC);
}

int zcp_feed(int fd, size_t bytes, uint64_t pattern, struct zcpool_feed *f)
{
	struct zcpool_feed tmp;

	if (!f)
		f = &tmp;
	memset(f, 0, sizeof(*f));
	f->bytes = bytes;
	f->pattern = pattern;
	return ioctl(fd, ZCPOOL_IOC_FEED, f) ? -1 : 0;
}

int zcp_receive(int fd, void *addr, size_t len, struct zcpool_receive *r)
{
	return zcp_receive_paused(fd, addr, len, 0, 0, r);
}

int zcp_receive_paused(int fd, void *addr, size_t len, uint64_t flags,
		       uint64_t pause_batch, struct zcpool_receive *r)
{
	memset(r, 0, sizeof(*r));
	r->address = (uintptr_t)addr;
	r->length = len;
	r->flags = flags;
	r->pause_batch = pause_batch;
	return ioctl(fd, ZCPOOL_IOC_RECEIVE, r) ? -1 : 0;
}

int zcp_pause_wait(int fd, unsigned int timeout_ms, struct zcpool_pause *p)
{
	memset(p, 0, sizeof(*p));
	p->timeout_ms = timeout_ms;
	return ioctl(fd, ZCPOOL_IOC_PAUSE_WAIT, p) ? -1 : 0;
}

int zcp_resume(int fd)
{
	return ioctl(fd, ZCPOOL_IOC_RESUME) ? -1 : 0;
}

int zcp_stats(int fd, struct zcpool_stats *st)
{
	return ioctl(fd, ZCPOOL_IOC_STATS, st) ? -1 : 0;
}

int zcp_reclaim(int fd, struct zcpool_reclaim *rc)
{
	return ioctl(fd, ZCPOOL_IOC_RECLAIM, rc) ? -1 : 0;
}

int zcp_reclaim_any(struct zcpool_reclaim *rc)
{
	int fd = zcp_open(), ret, err;

	if (fd < 0)
		return -1;
	ret = zcp_reclaim(fd, rc);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

void *zcp_map(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

long zcp_page_check(const void *addr, uint64_t queue_id, uint64_t seq,
		    uint64_t pattern)
{
	const unsigned char *p = addr;
	uint64_t base = zcpool_payload_base(queue_id, seq, pattern);
	long i, words = ZCP_PAGE / 8;

	for (i = 0; i < words; i++) {
		uint64_t w, want;

		memcpy(&w, p + i * 8, 8);
		want = i < ZCPOOL_HDR_WORDS ?
		       zcpool_payload_word(queue_id, seq, pattern, i) :
		       base + i * ZCPOOL_PAYLOAD_STEP;
		if (le64toh(w) != want)
			return i;
	}
	return -1;
}

long zcp_pages_check(const void *addr, size_t n, uint64_t queue_id,
		     uint64_t seq, uint64_t pattern)
{
	const unsigned char *p = addr;
	size_t i;

	for (i = 0; i < n; i++) {
		long bad = zcp_page_check(p + i * ZCP_PAGE, queue_id, seq + i,
					  pattern);
		uint64_t hdr[4];

		if (bad < 0)
			continue;
		memcpy(hdr, p + i * ZCP_PAGE, sizeof(hdr));
		ktap_print_msg("page %zu (queue %llu seq %llu): word %ld differs; header %#llx queue %llu seq %llu pattern %#llx",
			       i, (unsigned long long)queue_id,
			       (unsigned long long)(seq + i), bad,
			       (unsigned long long)le64toh(hdr[0]),
			       (unsigned long long)le64toh(hdr[1]),
			       (unsigned long long)le64toh(hdr[2]),
			       (unsigned long long)le64toh(hdr[3]));
		return i;
	}
	return -1;
}

int zcp_write_file(const char *path, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, value, len);
	err = errno;
	close(fd);
	if (n != (ssize_t)len) {
		errno = n < 0 ? err : EIO;
		return -1;
	}
	return 0;
}

int zcp_param_set(const char *name, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", ZCP_PARAM_DIR, name);
	return zcp_write_file(path, value);
}

int zcp_read_line(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int zcp_param_get(const char *name, char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", ZCP_PARAM_DIR, name);
	return zcp_read_line(path, buf, len);
}

unsigned int zcp_variant_index(const char *name)
{
	unsigned int i;

	for (i = 0; i < ZCPOOL_NR_VARIANTS; i++)
		if (!strcmp(name, zcp_variant_names[i]))
			return i;
	return ZCPOOL_NR_VARIANTS;
}

int zcp_set_variant(const char *name)
{
	return zcp_param_set("variant", name);
}

int zcp_get_variant(char *buf, size_t len)
{
	return zcp_param_get("variant", buf, len);
}

void zcp_print_counters(const char *prefix, const struct zcpool_counters *c)
{
	char name[128];

#define COUNTER(field) do {						\
		snprintf(name, sizeof(name), "%s." #field, prefix);	\
		ktap_metric(name, c->field);				\
	} while (0)
	COUNTER(queued);
	COUNTER(out);
	COUNTER(mapped);
	COUNTER(sock);
	COUNTER(charged);
	COUNTER(double_peak);
	COUNTER(under_peak);
	COUNTER(received);
	COUNTER(copied);
	COUNTER(charge_failures);
	COUNTER(recycles);
#undef COUNTER
}

int zcp_module_unload(void)
{
	return syscall(SYS_delete_module, "zcpool", O_NONBLOCK) ? -1 : 0;
}

static char module_defaults[128];

void zcp_module_defaults(const char *params)
{
	snprintf(module_defaults, sizeof(module_defaults), "%s", params);
}

int zcp_module_load(const char *params)
{
	char all[sizeof(module_defaults) + 256];
	int fd, ret, err;

	/* The kernel parses the parameters in order: the caller's come last, and win. */
	if (snprintf(all, sizeof(all), "%s%s%s", module_defaults,
		     module_defaults[0] && params[0] ? " " : "", params) >= (int)sizeof(all)) {
		errno = E2BIG;
		return -1;
	}
	fd = open(ZCB_PATH_MODULE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, all, 0);
	err = errno;
	close(fd);
	errno = err;
	return ret ? -1 : 0;
}

int zcp_wait_path(const char *path, unsigned int ms)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	unsigned int waited;

	for (waited = 0; access(path, F_OK); waited += 10) {
		if (waited >= ms)
			return -1;
		nanosleep(&tick, NULL);
	}
	return 0;
}
