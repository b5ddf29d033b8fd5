/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A receive queue of /dev/zcpool with its mapping, as the scenarios use it:
 * open and map, FEED and RECEIVE into the mapping (read() what cannot be
 * mapped, as the skip hints say), check the payload, RECLAIM, close.
 *
 * Functions returning int give 0, or -1 after printing what failed.
 */
#ifndef ZCBENCH_RXQ_H
#define ZCBENCH_RXQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zcpool_util.h"

/* FEED and RECEIVE per call when a scenario only needs the pages mapped. */
#define RXQ_CHUNK_PAGES		64
#define RXQ_CHUNK		(RXQ_CHUNK_PAGES * ZCP_PAGE)
/* FEED's default unit, and RECEIVE's vm_insert_pages() batch. */
#define RXQ_UNIT		(ZCPOOL_UNIT_PAGES * ZCP_PAGE)
#define RXQ_BATCH		(ZCPOOL_BATCH_PAGES * ZCP_PAGE)

/* A receive queue with its mapping, and what was received through it. */
struct rxq {
	int fd;
	unsigned char *map;
	size_t len;			/* of the mapping */
	unsigned char *copybuf;		/* RXQ_CHUNK bytes for read(), or NULL */
	uint64_t id;
	uint64_t first_seq;		/* of the first page fed */
	uint64_t next_seq;		/* of the page at the head of the queue, as seen */
	size_t fed;			/* bytes FEED took */
	size_t off;			/* bytes mapped, from map on */
	size_t copied;			/* bytes read() instead of mapped */
	size_t dropped;			/* bytes FEED refused with ENOMEM */
	long skip_hints;
	long receive_enomem;		/* RECEIVEs that failed with ENOMEM */
	bool bad_payload;		/* a page did not carry its header */
};

#define RXQ_INIT { .fd = -1 }

/* Called after every RECEIVE of rxq_receive(). */
typedef void (*rx_hook)(struct rxq *q, void *arg);

/*
 * Open a queue (bound to the caller's memcg now) with a mapping of len
 * bytes. On failure nothing of it stays open.
 */
int rxq_open(struct rxq *q, size_t len);

/*
 * rxq_open(), with a copy buffer for what RECEIVE cannot map, faulted in
 * first (before the queue and its mapping exist). On failure the copy
 * buffer stays allocated until rxq_close().
 */
int rxq_open_copy(struct rxq *q, size_t len);

void rxq_unmap(struct rxq *q);

/* Unmap, close, free the copy buffer; what is already gone is skipped. */
void rxq_close(struct rxq *q);

int rxq_stats(struct rxq *q, struct zcpool_stats *st);

/* RECLAIM; rc may be NULL. */
int rxq_reclaim(struct rxq *q, struct zcpool_reclaim *rc);

/*
 * One RECEIVE of up to len bytes at the end of what is mapped, of what is
 * queued. What it cannot map because a charge failed is read(): its skip
 * hint; or, if the call failed with ENOMEM (a batch's charge refused
 * before the insert), RXQ_UNIT bytes (at most len), counted in
 * q->receive_enomem. Such a failure says nothing of what the call mapped
 * before: it is an error (-1) unless len is at most RXQ_BATCH. Every
 * page's header is checked. Returns the bytes consumed, 0 if nothing was
 * queued, or -1 (printed).
 */
long rxq_receive_once(struct rxq *q, size_t len, uint64_t pattern);

/*
 * FEED bytes stamped with pattern, feed bytes per call (in units of
 * ZCPOOL_UNIT_PAGES), and RECEIVE each FEED at the end of what is mapped,
 * call bytes per call, as rxq_receive_once() does (what it cannot map is
 * read() with a copy buffer only). hook, if set, runs after each RECEIVE.
 * Returns 0; 1 if a FEED was refused with ENOMEM (the bytes not fed are in
 * q->dropped); -1 on any other error (printed).
 */
int rxq_receive(struct rxq *q, size_t bytes, uint64_t pattern,
		size_t feed, size_t call, rx_hook hook, void *arg);

/* rxq_receive() returned ret: size mapped, nothing copied, every header right? */
bool rxq_all_mapped(const struct rxq *q, int ret, size_t size);

/* FEED and RECEIVE size in RXQ_CHUNK calls; all mapped, as rxq_all_mapped(). */
bool rxq_receive_chunks(struct rxq *q, size_t size, uint64_t pattern);

/* rxq_open_copy() of size bytes, and rxq_receive_chunks() of all of it. */
bool rxq_open_receive(struct rxq *q, size_t size, uint64_t pattern);

/*
 * FEED bytes and RECEIVE them in one call each: all mapped, and every word
 * of every page mapped so far is that of its sequence number and pattern.
 */
bool rxq_feed_receive(struct rxq *q, size_t bytes, uint64_t pattern);

/* Does every word of the pages mapped so far match (their seq, pattern)? */
bool rxq_payload_ok(const struct rxq *q, uint64_t pattern);

/*
 * vmsplice() len bytes of q's mapping, from off on, into the pipe pipe_wr
 * (without waiting for room). Returns the bytes spliced: fewer than len if
 * a call failed (errno set) or took nothing.
 */
size_t rxq_vmsplice(const struct rxq *q, size_t off, size_t len, int pipe_wr);

/* The same for any len bytes mapped at addr. */
size_t vmsplice_range(const void *addr, size_t len, int pipe_wr);

/*
 * Populate the page tables of q's whole mapping, so that no later RECEIVE
 * allocates (and charges) one: map a page in every 2 MiB of it, zap them
 * with MADV_DONTNEED (which keeps the tables) and recycle them.
 */
int rxq_prefault_tables(struct rxq *q);

#endif /* ZCBENCH_RXQ_H */
