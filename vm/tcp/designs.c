// SPDX-License-Identifier: GPL-2.0
/*
 * The real-path matrix (docs/matrix-protocol.md): the kernel's own
 * TCP_ZEROCOPY_RECEIVE under each design of zcbench.tcp_designs. The runner
 * makes the design the one in force (the zctcp livepatch loaded with
 * design=<d>, or no livepatch for tcp-unaccounted) and runs these as the
 * subtests <design>/<scenario>, each in its own process.
 *
 * Each is a transfer over loopback (tcp.h): a MSG_ZEROCOPY sender in
 * cgroup zc-<design>-<scenario>-b, the receiver in zc-<design>-<scenario>,
 * mapping what it can and copying the rest. As in the simulated matrix
 * (matrix/), the guest prints raw numbers and the host judges them; the
 * cases only say that the transfer worked. Every sample is flushed first
 * (through zcpool, loaded all along); the livepatch's counters, as
 * mod.<counter> (their change during the transfer), cross-check.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "transfer.h"

/*
 * Receive everything and sample "mapped" (baseline: the sockets open,
 * nothing sent yet); then, if release, munmap and close the sockets and
 * sample "released".
 */
static int receive_mapped(const char *name, const struct zc_config *cfg,
			  bool release)
{
	static const char *const cases[] = { "receive" };
	struct mx m;
	struct transfer t = TRANSFER_INIT(&m);
	bool ok = false;

	if (mx_setup(&m, name, cfg, 1, true))
		goto out;
	ok = transfer_receive(&t) &&
	     mx_sample(&m, m.cg, "mapped", NULL) >= 0;
	transfer_counters(&t);
	if (release) {
		transfer_release(&t);
		ok &= mx_sample(&m, m.cg, "released", NULL) >= 0;
	}
	mx_case(&m, ok, "receive");
out:
	transfer_close(&t);
	return mx_finish(&m, 1, cases);
}

/* steady: everything received stays mapped. */
int test_tcpmx_steady(const char *name, const struct zc_config *cfg)
{
	return receive_mapped(name, cfg, false);
}

/*
 * release: as steady, then munmap and close the sockets (what they held
 * open and idle at the baseline is in the tolerance; the copy buffer
 * stays, as at the baseline).
 */
int test_tcpmx_release(const char *name, const struct zc_config *cfg)
{
	return receive_mapped(name, cfg, true);
}

/*
 * Receive (case "receive"), then vmsplice all that was mapped into the
 * pipes p (case pin_case, failed if they took less); *pinned gets the
 * bytes they took, also printed as "pinned". False if the receive failed.
 */
static bool receive_and_pin(struct mx *m, struct transfer *t,
			    struct mx_pipes *p, const char *pin_case,
			    size_t *pinned)
{
	mx_case(m, transfer_receive(t), "receive");
	if (!m->all)
		return false;
	*pinned = mx_pipes_fill_range(p, t->region, t->st.mapped);
	ktap_metric("pinned", *pinned);
	mx_case(m, *pinned == t->st.mapped, pin_case);
	return true;
}

/*
 * vmsplice-pin: receive, vmsplice all that was mapped into pipes (opened
 * before the baseline, outside the cgroup), munmap and close the sockets:
 * sample "pinned" (only the pipes hold the pages); close the pipes: sample
 * "released".
 */
int test_tcpmx_vmsplice_pin(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "vmsplice" };
	struct mx_pipes p = { .n = 0 };
	struct mx m;
	struct transfer t = TRANSFER_INIT(&m);
	size_t pinned;

	if (mx_setup(&m, name, cfg, 2, true) || mx_pipes_open(&p, cfg->size) ||
	    !receive_and_pin(&m, &t, &p, "vmsplice", &pinned))
		goto out;
	transfer_counters(&t);
	transfer_release(&t);
	if (mx_sample(&m, m.cg, "pinned", NULL) < 0)
		goto out;
	mx_pipes_close(&p);
	mx_sample(&m, m.cg, "released", NULL);
out:
	mx_pipes_close(&p);
	transfer_close(&t);
	return mx_finish(&m, 2, cases);
}

/*
 * fork: receive, fork a child that keeps its copy of the mapping; the
 * parent unmaps and closes the sockets: sample "child_holds"; the child
 * exits: sample "released".
 */
int test_tcpmx_fork(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "fork" };
	int hold[2] = { -1, -1 };
	struct mx m;
	struct transfer t = TRANSFER_INIT(&m);
	pid_t child = -1;

	if (mx_setup(&m, name, cfg, 2, true))
		goto out;
	mx_case(&m, transfer_receive(&t), "receive");
	if (!m.all)
		goto out;
	if (pipe(hold)) {
		ktap_print_msg("pipe: %m");
		goto out;
	}
	child = mx_fork();
	if (!child) {
		close(hold[1]);
		mx_hold(hold[0]);
	}
	close(hold[0]);
	hold[0] = -1;
	mx_case(&m, child > 0, "fork");
	if (child < 0)
		goto out;
	transfer_counters(&t);
	transfer_release(&t);
	if (mx_sample(&m, m.cg, "child_holds", NULL) < 0)
		goto out;
	close(hold[1]);
	hold[1] = -1;
	waitpid(child, NULL, 0);
	child = -1;
	mx_sample(&m, m.cg, "released", NULL);
out:
	if (hold[1] >= 0)
		close(hold[1]);
	if (child > 0)
		waitpid(child, NULL, 0);
	transfer_close(&t);
	return mx_finish(&m, 2, cases);
}

/*
 * A digest of a byte stream fed in pieces of any length, a 64-bit word at
 * a time (words at stream offsets that are multiples of 8): each word is
 * mixed in with a multiply, which carries its low bits up, and an
 * xor-shift, which carries the high bits down (a multiply alone, as a
 * word-wise FNV-1a, would miss the top bit flipped in two words). Byte at a
 * time, FNV-1a of what unload maps and reads back cost half of that cell's
 * guest instructions.
 */
struct digest {
	uint64_t h;
	uint64_t part;		/* bytes of a word not yet mixed in */
	unsigned int n;		/* how many */
};

#define DIGEST_INIT { .h = 0xcbf29ce484222325ULL }

static void digest_word(struct digest *d, uint64_t w)
{
	d->h = (d->h ^ w) * 0x9e3779b97f4a7c15ULL;
	d->h ^= d->h >> 29;
}

static void digest_update(struct digest *d, const unsigned char *p, size_t len)
{
	uint64_t w;

	for (; len && d->n; p++, len--) {
		d->part |= (uint64_t)*p << (8 * d->n);
		if (++d->n == 8) {
			digest_word(d, d->part);
			d->part = 0;
			d->n = 0;
		}
	}
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, sizeof(w));
		digest_word(d, le64toh(w));
	}
	for (; len; p++, len--)
		d->part |= (uint64_t)*p << (8 * d->n++);
}

/* The digest of all that was fed (a partial last word with its length). */
static uint64_t digest_final(struct digest d)
{
	if (d.n)
		digest_word(&d, d.part ^ (uint64_t)d.n << 59);
	return d.h;
}

/* Read every pipe empty into buf (bufsize bytes); the bytes, fed to d. */
static size_t drain_pipes(struct mx_pipes *p, unsigned char *buf,
			  size_t bufsize, struct digest *d)
{
	size_t i, total = 0;
	ssize_t n;

	for (i = 0; i < p->n; i++) {
		close(p->fd[i][1]);
		p->fd[i][1] = -1;
		while ((n = read(p->fd[i][0], buf, bufsize)) > 0) {
			digest_update(d, buf, n);
			total += n;
		}
	}
	return total;
}

/*
 * unload: receive, vmsplice everything mapped into pipes (opened before
 * the baseline, outside the cgroup), then remove the livepatch - unpatch,
 * wait for the transition, delete_module - with the pages still mapped and
 * pinned: sample "unloaded"; munmap and close: sample "unmapped" (only the
 * pipes hold the pages); read the pipes empty, their bytes checked against
 * what was mapped (nothing freed early: payload-intact); close them:
 * sample "released". The design is patched in again at the end, for what
 * runs after. On the stock kernel there is nothing to remove.
 */
int test_tcpmx_unload(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = {
		"receive", "pin", "unpatch", "payload-intact", "repatch",
	};
	struct mx_pipes p = { .n = 0 };
	struct digest mapped_sum = DIGEST_INIT, pinned_sum = DIGEST_INIT;
	struct mx m;
	struct transfer t = TRANSFER_INIT(&m);
	size_t pinned = 0, drained;
	bool same;
	int err;

	if (mx_setup(&m, name, cfg, 5, true) || mx_pipes_open(&p, cfg->size) ||
	    !receive_and_pin(&m, &t, &p, "pin", &pinned))
		goto out;
	digest_update(&mapped_sum, t.region, t.st.mapped);
	transfer_counters(&t);

	err = zct_unload() ? errno : 0;
	ktap_metric("rmmod_errno", err);
	mx_case(&m, !err && !zct_loaded(), "unpatch");
	if (mx_sample(&m, m.cg, "unloaded", NULL) < 0)
		goto out;
	transfer_release(&t);
	if (mx_sample(&m, m.cg, "unmapped", NULL) < 0)
		goto out;
	drained = drain_pipes(&p, t.copybuf, ZC_COPY_BUF_SIZE, &pinned_sum);
	same = digest_final(pinned_sum) == digest_final(mapped_sum);
	if (drained != pinned || !same)
		ktap_print_msg("the pipes gave back %zu of %zu bytes, %s", drained,
			       pinned, same ? "as mapped" : "not what was mapped");
	mx_case(&m, drained == pinned && same, "payload-intact");
	mx_pipes_close(&p);
	if (mx_sample(&m, m.cg, "released", NULL) < 0)
		goto out;
	mx_case(&m, !zct_switch(cfg->variant, NULL), "repatch");
out:
	mx_pipes_close(&p);
	transfer_close(&t);
	return mx_finish(&m, 5, cases);
}
