// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool device: /dev/zcpool, root-only (mode 0600).
 *
 * Each open file is a receive queue, bound at open to the opener's memcg
 * (like sk->sk_memcg) and to the variant then in force. The variant can
 * change only while no queue is open. The file is mmap()ed read-only and
 * shared, as tcp_mmap() allows: VM_WRITE and VM_EXEC are refused and
 * VM_MAYWRITE/VM_MAYEXEC cleared, so the pages can never be written
 * through the mapping. Unload is refused while a queue is open: the files
 * (and the mappings, which hold them) pin the module. PAUSE_WAIT and RESUME
 * take no lock of the queue but its pause lock (pause.c): they serve other
 * threads while a RECEIVE of the queue is stopped.
 */
#include "zcpool.h"

#include <linux/atomic.h>
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>

static DEFINE_MUTEX(zcpool_dev_lock);
static unsigned int zcpool_nr_queues;		/* under zcpool_dev_lock */
static enum zcpool_variant zcpool_variant = ZCPOOL_VARIANT_POOL_FREE;
static atomic64_t zcpool_next_id = ATOMIC64_INIT(0);

/* No fault handler: touching a page not received is SIGBUS, as for TCP. */
static const struct vm_operations_struct zcpool_vm_ops = {
};

/**
 * zcpool_dev_set_variant() - choose the variant of the queues opened next
 * @v: the variant
 *
 * Return: 0, -EINVAL for an unknown variant, -EBUSY while a queue is open.
 */
int zcpool_dev_set_variant(enum zcpool_variant v)
{
	int ret = 0;

	if (v >= ZCPOOL_NR_VARIANTS)
		return -EINVAL;
	mutex_lock(&zcpool_dev_lock);
	if (zcpool_nr_queues)
		ret = -EBUSY;
	else
		zcpool_variant = v;
	mutex_unlock(&zcpool_dev_lock);
	return ret;
}

/**
 * zcpool_dev_variant() - the variant new queues get
 *
 * Return: the variant.
 */
enum zcpool_variant zcpool_dev_variant(void)
{
	return READ_ONCE(zcpool_variant);
}

/**
 * zcpool_vma_is_queue() - is this a zcpool mapping of this queue?
 * @vma: a mapping of the caller's mm, mmap lock held
 * @q: the queue
 *
 * Return: true if @vma maps the file of @q through zcpool_mmap().
 */
bool zcpool_vma_is_queue(struct vm_area_struct *vma, struct zcpool_queue *q)
{
	return vma->vm_ops == &zcpool_vm_ops && vma->vm_file &&
	       vma->vm_file->private_data == q;
}

static int zcpool_open(struct inode *inode, struct file *file)
{
	struct zcpool_queue *q;

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	zcpool_rx_queue_init(q);
	q->id = atomic64_inc_return(&zcpool_next_id);
	q->memcg = zcpool_memcg_get_current();

	mutex_lock(&zcpool_dev_lock);
	q->variant = zcpool_variant;
	zcpool_nr_queues++;
	mutex_unlock(&zcpool_dev_lock);

	file->private_data = q;
	return nonseekable_open(inode, file);
}

static int zcpool_release(struct inode *inode, struct file *file)
{
	struct zcpool_queue *q = file->private_data;

	zcpool_rx_queue_release(q);
	zcpool_memcg_put(q->memcg);
	kfree(q);

	mutex_lock(&zcpool_dev_lock);
	zcpool_nr_queues--;
	mutex_unlock(&zcpool_dev_lock);
	return 0;
}

static int zcpool_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_flags & (VM_WRITE | VM_EXEC))
		return -EPERM;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, VM_MAYWRITE | VM_MAYEXEC);
	/* Lets vm_insert_pages() run under the mmap read lock. */
	vm_flags_set(vma, VM_MIXEDMAP);
#else
	vma->vm_flags &= ~(VM_MAYWRITE | VM_MAYEXEC);
	vma->vm_flags |= VM_MIXEDMAP;
#endif
	vma->vm_ops = &zcpool_vm_ops;
	return 0;
}

static ssize_t zcpool_read(struct file *file, char __user *buf, size_t count,
			   loff_t *ppos)
{
	return zcpool_rx_read(file->private_data, buf, count);
}

static long zcpool_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct zcpool_queue *q = file->private_data;
	void __user *uarg = (void __user *)arg;
	union {
		struct zcpool_feed feed;
		struct zcpool_receive rx;
		struct zcpool_stats st;
		struct zcpool_reclaim rc;
		struct zcpool_pause pause;
	} u;
	size_t size;
	int ret;

	switch (cmd) {
	case ZCPOOL_IOC_FEED:
		size = sizeof(u.feed);
		if (copy_from_user(&u.feed, uarg, size))
			return -EFAULT;
		ret = zcpool_rx_feed(q, &u.feed);
		break;
	case ZCPOOL_IOC_RECEIVE:
		size = sizeof(u.rx);
		if (copy_from_user(&u.rx, uarg, size))
			return -EFAULT;
		ret = zcpool_rx_receive(q, &u.rx);
		break;
	case ZCPOOL_IOC_STATS:
		size = sizeof(u.st);
		zcpool_stats_fill(q, &u.st);
		ret = 0;
		break;
	case ZCPOOL_IOC_RECLAIM:
		size = sizeof(u.rc);
		zcpool_pool_recycle(&u.rc);
		ret = 0;
		break;
	case ZCPOOL_IOC_PAUSE_WAIT:
		/* Neither takes the queue's lock: a stopped RECEIVE holds it. */
		size = sizeof(u.pause);
		if (copy_from_user(&u.pause, uarg, size))
			return -EFAULT;
		ret = zcpool_pause_wait(q, &u.pause);
		break;
	case ZCPOOL_IOC_RESUME:
		return zcpool_pause_resume(q);
	default:
		return -ENOTTY;
	}
	if (ret)
		return ret;
	return copy_to_user(uarg, &u, size) ? -EFAULT : 0;
}

static const struct file_operations zcpool_fops = {
	.owner		= THIS_MODULE,
	.open		= zcpool_open,
	.release	= zcpool_release,
	.mmap		= zcpool_mmap,
	.read		= zcpool_read,
	.unlocked_ioctl	= zcpool_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice zcpool_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= KBUILD_MODNAME,
	.fops	= &zcpool_fops,
	.mode	= 0600,
};

/**
 * zcpool_dev_init() - register /dev/zcpool
 *
 * Return: 0, or the error of misc_register().
 */
int zcpool_dev_init(void)
{
	return misc_register(&zcpool_miscdev);
}

/**
 * zcpool_dev_exit() - unregister /dev/zcpool; no queue is open
 */
void zcpool_dev_exit(void)
{
	misc_deregister(&zcpool_miscdev);
}
