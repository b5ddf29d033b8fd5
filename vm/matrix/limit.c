// SPDX-License-Identifier: GPL-2.0
/*
 * The matrix: a receiver's cgroup at its memory.max (memory-max,
 * nofail-overshoot). The limit is set and lifted, and memory.peak,
 * memory.events and memory.current read, through files opened and read
 * once before: at the limit, opening a file may fail or wait for memory.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "ktap.h"
#include "matrix.h"

static const char *const events_keys[MX_EVENTS] = { "max", "oom", "oom_kill" };

static int limit_read_events(struct mx_limit *l, long events[MX_EVENTS])
{
	char buf[CG_STAT_BYTES];
	int i;

	if (cg_fd_read(l->events, buf, sizeof(buf)) < 0)
		return -1;
	for (i = 0; i < MX_EVENTS; i++) {
		events[i] = cg_key_long(buf, events_keys[i]);
		if (events[i] < 0)
			return -1;
	}
	return 0;
}

int mx_limit_open(struct mx_limit *l, const char *cg)
{
	long events[MX_EVENTS];

	l->cg = cg;
	l->largest = 0;
	l->max = cg_open(cg, "memory.max", O_WRONLY);
	l->events = cg_open(cg, "memory.events", O_RDONLY);
	l->current = cg_open(cg, "memory.current", O_RDONLY);
	/* Where the kernel has no memory.peak, the largest memory.current seen. */
	l->peak = cg_open(cg, "memory.peak", O_RDONLY);
	if (l->max < 0 || l->events < 0 || l->current < 0 ||
	    limit_read_events(l, events) ||
	    (l->peak >= 0 && cg_fd_read_long(l->peak, NULL) < 0)) {
		ktap_print_msg("%s/memory.{max,events,current,peak}: %m", cg);
		mx_limit_close(l);
		return -1;
	}
	mx_limit_note(l);
	return 0;
}

int mx_limit_set(struct mx_limit *l, long limit)
{
	char buf[32];

	l->limit = limit;
	snprintf(buf, sizeof(buf), "%ld", limit);
	if (limit_read_events(l, l->events0) || cg_fd_write(l->max, buf)) {
		ktap_print_msg("%s/memory.max %s: %m", l->cg, buf);
		return -1;
	}
	return 0;
}

void mx_limit_note(struct mx_limit *l)
{
	long current = cg_fd_read_long(l->current, NULL);

	if (current > l->largest)
		l->largest = current;
}

void mx_limit_lift(struct mx_limit *l)
{
	const char *prefix = l->prefix ? l->prefix : "";
	long peak, events[MX_EVENTS];
	char name[64];
	int i;

	/* Read before the limit goes: what comes after may well exceed it. */
	mx_limit_note(l);
	peak = l->peak >= 0 ? cg_fd_read_long(l->peak, NULL) : l->largest;
	l->readable = peak >= 0 && !limit_read_events(l, events);
	l->lifted = !cg_fd_write(l->max, "max");
	if (!l->lifted)
		ktap_print_msg("%s/memory.max max: %m", l->cg);
	snprintf(name, sizeof(name), "%smemory_max", prefix);
	ktap_metric(name, l->limit);
	if (!l->readable) {
		ktap_print_msg("%s/memory.{peak,events}: unreadable", l->cg);
		return;
	}
	snprintf(name, sizeof(name), "%speak.memory_peak", prefix);
	ktap_metric(name, peak);
	for (i = 0; i < MX_EVENTS; i++) {
		snprintf(name, sizeof(name), "%sevents.%s", prefix,
			 events_keys[i]);
		ktap_metric(name, events[i] - l->events0[i]);
	}
}

void mx_limit_close(struct mx_limit *l)
{
	int *fds[] = { &l->max, &l->events, &l->current, &l->peak };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}
