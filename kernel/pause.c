// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool pause points: a RECEIVE asked to (zcpool_receive.flags) stops at a
 * point of the call, so that another thread of the receiver can read the
 * cgroup files while a charge window is open:
 *   INSERTED  after vm_insert_pages() of batch pause_batch and the
 *             accounting of its pages, before what the variant does after
 *             a batch (batch: release the batch's socket charge);
 *   RELEASED  after the call's consumed units are released (their socket
 *             charge dropped, as TCP frees consumed skbs), before v2's
 *             late charge.
 * The stopped RECEIVE keeps the queue's lock and the mmap read lock. It
 * goes on at ZCPOOL_IOC_RESUME, on a fatal signal, or by itself after
 * ZCPOOL_PAUSE_MAX_MS (a rate-limited warning says so). PAUSE_WAIT and
 * RESUME take only the queue's pause lock.
 */
#include "zcpool.h"

#include <linux/jiffies.h>
#include <linux/printk.h>
#include <linux/sched/signal.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

/* Longest PAUSE_WAIT, in ms. */
#define ZCPOOL_PAUSE_WAIT_MAX_MS	60000

static const char *zcpool_pause_name(enum zcpool_pause_point point)
{
	return point == ZCPOOL_PAUSE_INSERTED ? "inserted" : "released";
}

/**
 * zcpool_pause_init() - set up the pause state of a new queue
 * @q: the queue
 */
void zcpool_pause_init(struct zcpool_queue *q)
{
	spin_lock_init(&q->pause.lock);
	init_waitqueue_head(&q->pause.wait);
	q->pause.point = ZCPOOL_PAUSE_NONE;
}

/* A stop is waiting for RESUME. */
static bool zcpool_pause_stopped(struct zcpool_queue *q)
{
	bool ret;

	spin_lock(&q->pause.lock);
	ret = q->pause.point != ZCPOOL_PAUSE_NONE && !q->pause.resumed;
	spin_unlock(&q->pause.lock);
	return ret;
}

/**
 * zcpool_pause_stop() - stop a RECEIVE at a point until RESUME
 * @rx: the call, holding the queue's lock and the mmap read lock
 * @point: ZCPOOL_PAUSE_INSERTED or ZCPOOL_PAUSE_RELEASED
 *
 * Publishes the call's progress and the queue's counters for PAUSE_WAIT,
 * then sleeps until RESUME, a fatal signal or ZCPOOL_PAUSE_MAX_MS.
 */
void zcpool_pause_stop(struct zcpool_rx *rx, enum zcpool_pause_point point)
{
	struct zcpool_queue *q = rx->q;
	struct zcpool_stats st;
	long left;

	zcpool_stats_fill(q, &st);

	spin_lock(&q->pause.lock);
	q->pause.point = point;
	q->pause.resumed = false;
	q->pause.batches = rx->batches;
	q->pause.mapped = rx->mapped;
	q->pause.queue = st.queue;
	spin_unlock(&q->pause.lock);
	wake_up_all(&q->pause.wait);

	left = wait_event_killable_timeout(q->pause.wait,
					   !zcpool_pause_stopped(q),
					   msecs_to_jiffies(ZCPOOL_PAUSE_MAX_MS));

	spin_lock(&q->pause.lock);
	q->pause.point = ZCPOOL_PAUSE_NONE;
	q->pause.resumed = false;
	spin_unlock(&q->pause.lock);

	if (!left)
		pr_warn_ratelimited("RECEIVE of queue %llu resumed by itself after %u ms stopped at %s\n",
				    q->id, ZCPOOL_PAUSE_MAX_MS,
				    zcpool_pause_name(point));
}

/**
 * zcpool_pause_wait() - PAUSE_WAIT: wait for a RECEIVE of @q to stop
 * @q: the queue
 * @p: timeout_ms in; point, batches, mapped and queue filled in
 *
 * Returns at once if a RECEIVE is stopped and not resumed yet.
 *
 * Return: 0, -EINVAL for a timeout outside 1..60000 ms, -ETIMEDOUT if no
 * RECEIVE stopped in time, -EINTR if a signal came first.
 */
int zcpool_pause_wait(struct zcpool_queue *q, struct zcpool_pause *p)
{
	long left;

	if (!p->timeout_ms || p->timeout_ms > ZCPOOL_PAUSE_WAIT_MAX_MS)
		return -EINVAL;
	left = msecs_to_jiffies(p->timeout_ms);
	for (;;) {
		left = wait_event_interruptible_timeout(q->pause.wait,
							zcpool_pause_stopped(q),
							left);
		if (left < 0)
			return -EINTR;
		spin_lock(&q->pause.lock);
		if (q->pause.point != ZCPOOL_PAUSE_NONE && !q->pause.resumed)
			break;
		spin_unlock(&q->pause.lock);
		/* Resumed by another thread meanwhile: wait for the next stop. */
		if (!left)
			return -ETIMEDOUT;
	}
	p->point = q->pause.point;
	p->batches = q->pause.batches;
	p->mapped = q->pause.mapped;
	p->queue = q->pause.queue;
	spin_unlock(&q->pause.lock);
	return 0;
}

/**
 * zcpool_pause_resume() - RESUME: let the stopped RECEIVE of @q go on
 * @q: the queue
 *
 * Return: 0, or -EINVAL if no RECEIVE of @q is stopped (or it was resumed
 * already).
 */
int zcpool_pause_resume(struct zcpool_queue *q)
{
	int ret = 0;

	spin_lock(&q->pause.lock);
	if (q->pause.point == ZCPOOL_PAUSE_NONE || q->pause.resumed)
		ret = -EINVAL;
	else
		q->pause.resumed = true;
	spin_unlock(&q->pause.lock);
	if (!ret)
		wake_up_all(&q->pause.wait);
	return ret;
}
