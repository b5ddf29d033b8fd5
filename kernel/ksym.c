// SPDX-License-Identifier: GPL-2.0
/*
 * Resolve unexported kernel symbols at load time (ksym.h).
 *
 * kallsyms_lookup_name() is not exported either: a kprobe registered on it
 * gives its address, and it looks up the rest. Every function found this
 * way is called through a pointer. With IBT on (Debian 6.12 has
 * CONFIG_X86_KERNEL_IBT), an indirect call to a function whose ENDBR was
 * sealed at boot (address never taken) raises #CP: each one's first
 * instruction is checked first, when IBT is on or the caller forces the
 * check (the modules' parameter ibt_check=1: TCG has no CET).
 *
 * Its messages carry the name of the module it is compiled into.
 */
#ifndef pr_fmt
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#endif

#include <linux/errno.h>
#include <linux/kprobes.h>
#include <linux/printk.h>
#include <linux/uaccess.h>
#ifdef CONFIG_X86
#include <asm/cpufeature.h>
#endif

#include "ksym.h"

/*
 * The first four bytes of a function that an indirect call may reach with
 * IBT on: ENDBR64 (f3 0f 1e fa; ENDBR32 differs in bit 24). A sealed ENDBR
 * is the 4-byte NOP 66 0f 1f 00 (gen_endbr_poison()), which is_endbr()
 * accepts - so is_endbr() cannot tell a callable function from a sealed
 * one, and it is false for everything on kernels built without IBT (6.1).
 */
#define KSYM_ENDBR64		0xfa1e0ff3U
#define KSYM_ENDBR32_BIT	0x01000000U
#define KSYM_ENDBR_SEALED	0x001f0f66U

/* Why an indirect call to addr would trap with IBT on, or NULL if not. */
static const char *ksym_no_endbr(const void *addr)
{
	u32 insn;

	if (copy_from_kernel_nofault(&insn, addr, sizeof(insn)))
		return "unreadable";
	if ((insn & ~KSYM_ENDBR32_BIT) == KSYM_ENDBR64)
		return NULL;
	return insn == KSYM_ENDBR_SEALED ? "sealed ENDBR" : "no ENDBR";
}

/**
 * ksym_ibt_enabled() - is Indirect Branch Tracking on?
 *
 * Return: true when the CPU enforces IBT for the kernel.
 */
bool ksym_ibt_enabled(void)
{
#ifdef CONFIG_X86
	return cpu_feature_enabled(X86_FEATURE_IBT);
#else
	return false;
#endif
}

/*
 * kprobes place an entry probe after the ENDBR (or its sealed NOP) on IBT
 * kernels: kp.addr is then 4 bytes into the function. Back up to its start.
 */
static unsigned long ksym_symbol_start(unsigned long addr)
{
	u32 insn;

	if (!copy_from_kernel_nofault(&insn, (void *)(addr - sizeof(insn)),
				      sizeof(insn)) &&
	    ((insn & ~KSYM_ENDBR32_BIT) == KSYM_ENDBR64 ||
	     insn == KSYM_ENDBR_SEALED))
		return addr - sizeof(insn);
	return addr;
}

/*
 * With the check on, may addr be called through a pointer? Says why not:
 * pr_err() for a required function (the load will fail), pr_info() for an
 * optional one (treated as missing).
 */
static bool ksym_callable(const char *name, const void *addr, bool optional)
{
	const char *why = ksym_no_endbr(addr);

	if (!why) {
		pr_info("ibt_check: %s starts with ENDBR\n", name);
		return true;
	}
	if (optional)
		pr_info("ibt_check: %s has no ENDBR (%s): treated as missing\n",
			name, why);
	else
		pr_err("refusing to load: %s has no ENDBR and IBT is on (%s)\n",
		       name, why);
	return false;
}

/**
 * ksym_resolve() - look up unexported symbols
 * @syms: what to look up, and where each address goes
 * @n: entries in @syms
 * @ibt_check: check ENDBR even when IBT is off
 * @lookup: if not NULL, gets kallsyms_lookup_name() (on success)
 *
 * kallsyms_lookup_name() is found with a kprobe, then looks up the rest.
 * When IBT is on, or @ibt_check forces the check, each function must start
 * with ENDBR, kallsyms_lookup_name() first: a required one without it
 * fails, an optional one is treated as missing. With IBT really on, a
 * kallsyms_lookup_name() without ENDBR is not called at all; with the
 * check only forced, the lookups go on so that every function is reported
 * before failing.
 *
 * Return: 0 if all required symbols were found, -ENOENT (after naming the
 * missing one), -ENOEXEC (after naming each function without ENDBR) or the
 * error of register_kprobe() otherwise.
 */
int ksym_resolve(const struct ksym *syms, size_t n, bool ibt_check,
		 ksym_lookup_fn *lookup)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	bool ibt_on = ksym_ibt_enabled();
	bool check = ibt_on || ibt_check;
	ksym_lookup_fn kallsyms;
	int ret = 0;
	size_t i;

	for (i = 0; i < n; i++)
		*syms[i].addr = NULL;
	ret = register_kprobe(&kp);
	if (ret) {
		pr_err("cannot find kallsyms_lookup_name: register_kprobe: %d\n",
		       ret);
		return ret;
	}
	kallsyms = (void *)ksym_symbol_start((unsigned long)kp.addr);
	unregister_kprobe(&kp);

	if (check) {
		pr_info("ibt_check: checking ENDBR of every function called through a pointer (IBT %s)\n",
			ibt_on ? "on" : "off, check forced by ibt_check=1");
		if (!ksym_callable("kallsyms_lookup_name", kallsyms, false)) {
			if (ibt_on)
				return -ENOEXEC;
			ret = -ENOEXEC;
		}
	}

	for (i = 0; i < n; i++) {
		const char *name = syms[i].name;
		bool optional = syms[i].optional;
		void *addr = (void *)kallsyms(name);

		if (!addr && !optional) {
			pr_err("kernel symbol %s not found, refusing to load\n",
			       name);
			return -ENOENT;
		}
		if (addr && check && !syms[i].data &&
		    !ksym_callable(name, addr, optional)) {
			if (!optional)
				ret = -ENOEXEC;
			addr = NULL;
		}
		*syms[i].addr = addr;
	}
	if (!ret && lookup)
		*lookup = kallsyms;
	return ret;
}
