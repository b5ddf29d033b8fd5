// SPDX-License-Identifier: GPL-2.0
/*
 * The pause point of the replaced function, for the double charge seen
 * from user space (debugfs zctcp/pause, kernel/uapi/zctcp.h).
 *
 * tcp_zerocopy_receive() frees the skbs it consumed - and with them their
 * socket charge - only after its last batch is inserted. A process arms
 * the pause for itself ("arm <tgid>"); from then on each of its batches
 * stops once inserted and charged, until "resume" (or 30 s), so that
 * another thread of the process can read the cgroup there: at the call's
 * last stop its pages are charged and the skbs that held them not yet
 * freed. The function cannot know which batch is a call's last (a frag
 * that cannot be mapped ends the call early), hence a stop at each; every
 * stop is numbered and says how many bytes the call has inserted by then.
 * A stop sleeps under the receiver's mmap read lock and socket lock, as a
 * page fault in vm_insert_pages() may: the reader needs neither. "off"
 * disarms and lets a stopped call go.
 */
#include "zctcp.h"

#include <linux/debugfs.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

/* A stop resumes itself after this long. */
#define ZCTCP_PAUSE_TIMEOUT	(30 * HZ)

static struct {
	spinlock_t lock;
	pid_t tgid;		/* armed for this process; 0: off */
	bool stopped;		/* a call is stopped now */
	bool resume;		/* set by "resume", read by the stopped call */
	unsigned long stops;	/* stops since the module was loaded */
	u32 inserted;		/* bytes the stopped call has inserted */
	wait_queue_head_t wq;
} zctcp_pause = {
	.lock = __SPIN_LOCK_UNLOCKED(zctcp_pause.lock),
	.wq = __WAIT_QUEUE_HEAD_INITIALIZER(zctcp_pause.wq),
};

/**
 * zctcp_pause_point() - stop here if the calling process armed the pause
 * @length: bytes the call has inserted, this batch included
 *
 * Called after a batch was inserted and charged without error. Returns at
 * once unless the calling process armed the pause; else stops until
 * "resume" or "off" is written, the timeout passes or the task is killed.
 */
void zctcp_pause_point(u32 length)
{
	if (likely(!READ_ONCE(zctcp_pause.tgid)))
		return;
	spin_lock(&zctcp_pause.lock);
	if (zctcp_pause.tgid != current->tgid) {
		spin_unlock(&zctcp_pause.lock);
		return;
	}
	zctcp_pause.stopped = true;
	zctcp_pause.resume = false;
	zctcp_pause.stops++;
	zctcp_pause.inserted = length;
	spin_unlock(&zctcp_pause.lock);

	wait_event_killable_timeout(zctcp_pause.wq, READ_ONCE(zctcp_pause.resume),
				    ZCTCP_PAUSE_TIMEOUT);
	spin_lock(&zctcp_pause.lock);
	zctcp_pause.stopped = false;
	spin_unlock(&zctcp_pause.lock);
}

static ssize_t zctcp_pause_read(struct file *file, char __user *buf,
				size_t count, loff_t *ppos)
{
	char state[96];
	int len;

	spin_lock(&zctcp_pause.lock);
	len = scnprintf(state, sizeof(state),
			"armed %d\nstopped %d\nstops %lu\ninserted %u\n",
			zctcp_pause.tgid, zctcp_pause.stopped,
			zctcp_pause.stops, zctcp_pause.inserted);
	spin_unlock(&zctcp_pause.lock);
	return simple_read_from_buffer(buf, count, ppos, state, len);
}

/* "arm <tgid>", "resume" or "off". */
static ssize_t zctcp_pause_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	char cmd[32];
	int tgid;

	if (count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = '\0';
	strim(cmd);
	spin_lock(&zctcp_pause.lock);
	if (sscanf(cmd, "arm %d", &tgid) == 1 && tgid > 0) {
		zctcp_pause.tgid = tgid;
	} else if (!strcmp(cmd, "resume") || !strcmp(cmd, "off")) {
		if (!strcmp(cmd, "off"))
			zctcp_pause.tgid = 0;
		zctcp_pause.resume = true;
	} else {
		spin_unlock(&zctcp_pause.lock);
		return -EINVAL;
	}
	spin_unlock(&zctcp_pause.lock);
	wake_up_all(&zctcp_pause.wq);
	return count;
}

static const struct file_operations zctcp_pause_fops = {
	.owner = THIS_MODULE,
	.read = zctcp_pause_read,
	.write = zctcp_pause_write,
	.llseek = default_llseek,
};

/**
 * zctcp_pause_init() - add debugfs pause under @dir
 * @dir: the module's debugfs directory
 */
void zctcp_pause_init(struct dentry *dir)
{
	debugfs_create_file("pause", 0600, dir, NULL, &zctcp_pause_fops);
}

/**
 * zctcp_pause_exit() - disarm, and let a stopped call go
 *
 * The livepatch is disabled, its transition over, before the module
 * exits: no task is in the replaced function then, so none is stopped.
 */
void zctcp_pause_exit(void)
{
	spin_lock(&zctcp_pause.lock);
	zctcp_pause.tgid = 0;
	zctcp_pause.resume = true;
	spin_unlock(&zctcp_pause.lock);
	wake_up_all(&zctcp_pause.wq);
}
