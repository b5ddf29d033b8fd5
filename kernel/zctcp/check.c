// SPDX-License-Identifier: GPL-2.0
/*
 * What must hold before zctcp patches a kernel:
 *   - the kernel is the one it was built for: the build ID of the running
 *     kernel (vmlinux_build_id) equals the one given at build time (the
 *     host reads it from the image's ELF note), so the replaced function
 *     is, byte for byte, the one the copy in insert.c was checked against;
 *   - the replaced function has the copy's prototype: the running kernel's
 *     BTF for it (vmlinux BTF, CONFIG_DEBUG_INFO_BTF=y on Debian) names the
 *     same return type and the same parameters, names and types, in order.
 * Either failing refuses the load with -ENOEXEC, saying what differs.
 */
#include "zctcp.h"

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/string.h>

/* Hex digits of the longest build ID (BUILD_ID_SIZE_MAX is 20 bytes). */
#define ZCTCP_BUILD_ID_BYTES	20
#define ZCTCP_TYPE_NAME		96
#define ZCTCP_PROTOTYPE		320

static struct {
	struct btf *(*btf_vmlinux)(void);
	s32 (*find_by_name_kind)(const struct btf *btf, const char *name,
				 u8 kind);
	const char *(*name_by_offset)(const struct btf *btf, u32 offset);
	const unsigned char *build_id;
} zctcp_chk;

static const struct ksym zctcp_check_syms[] = {
	{ "bpf_get_btf_vmlinux", (void **)&zctcp_chk.btf_vmlinux },
	{ "btf_find_by_name_kind", (void **)&zctcp_chk.find_by_name_kind },
	{ "btf_name_by_offset", (void **)&zctcp_chk.name_by_offset },
	{ "vmlinux_build_id", (void **)&zctcp_chk.build_id, false, true },
};

/* The prototype of zctcp_vm_insert_batch(), as BTF spells its types. */
static const char *const zctcp_return_type = "int";
static const struct {
	const char *name;
	const char *type;
} zctcp_params[] = {
	{ "vma", "struct vm_area_struct *" },
	{ "pages", "struct page **" },
	{ "pages_to_map", "unsigned int" },
	{ "address", "long unsigned int *" },
	{ "length", "u32 *" },
	{ "seq", "u32 *" },
	{ "zc", "struct tcp_zerocopy_receive *" },
	{ "total_bytes_to_map", "u32" },
};

static int zctcp_check_build_id(const char *want)
{
	char have[2 * ZCTCP_BUILD_ID_BYTES + 1];

	bin2hex(have, zctcp_chk.build_id, ZCTCP_BUILD_ID_BYTES);
	have[sizeof(have) - 1] = '\0';
	if (!want || !*want) {
		pr_err("refusing to load: built without the build ID of its kernel (ZCTCP_BUILD_ID); this kernel's is %s\n",
		       have);
		return -ENOEXEC;
	}
	if (strcasecmp(want, have)) {
		pr_err("refusing to load: built for the kernel with build ID %s, this one is %s\n",
		       want, have);
		return -ENOEXEC;
	}
	pr_info("kernel build ID %s: the kernel it was built for\n", have);
	return 0;
}

/* C spelling of BTF type id into buf ("struct page **"). */
static void zctcp_type_name(const struct btf *btf, u32 id, char *buf,
			    size_t len, int depth)
{
	const struct btf_type *t;
	const char *name;
	size_t used;

	if (!id) {
		strscpy(buf, "void", len);
		return;
	}
	t = btf_type_by_id(btf, id);
	if (!t || depth > 8) {
		strscpy(buf, "?", len);
		return;
	}
	name = zctcp_chk.name_by_offset(btf, t->name_off);
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_PTR:
		zctcp_type_name(btf, t->type, buf, len, depth + 1);
		used = strlen(buf);
		snprintf(buf + used, len - used, "%s*",
			 used && buf[used - 1] == '*' ? "" : " ");
		return;
	case BTF_KIND_CONST:
		strscpy(buf, "const ", len);
		zctcp_type_name(btf, t->type, buf + 6, len > 6 ? len - 6 : 0,
				depth + 1);
		return;
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		zctcp_type_name(btf, t->type, buf, len, depth + 1);
		return;
	case BTF_KIND_STRUCT:
		snprintf(buf, len, "struct %s", name ?: "?");
		return;
	case BTF_KIND_UNION:
		snprintf(buf, len, "union %s", name ?: "?");
		return;
	case BTF_KIND_ENUM:
		snprintf(buf, len, "enum %s", name ?: "?");
		return;
	default:
		strscpy(buf, name ?: "?", len);
		return;
	}
}

/* Say which prototype was found, in C. */
static void zctcp_print_prototype(void)
{
	char proto[ZCTCP_PROTOTYPE];
	size_t used, i;

	used = scnprintf(proto, sizeof(proto), "%s %s(", zctcp_return_type,
			 ZCTCP_REPLACED);
	for (i = 0; i < ARRAY_SIZE(zctcp_params); i++) {
		const char *type = zctcp_params[i].type;

		used += scnprintf(proto + used, sizeof(proto) - used, "%s%s%s%s",
				  i ? ", " : "", type,
				  type[strlen(type) - 1] == '*' ? "" : " ",
				  zctcp_params[i].name);
	}
	scnprintf(proto + used, sizeof(proto) - used, ")");
	pr_info("the kernel's prototype (BTF) is the patch's: %s\n", proto);
}

static int zctcp_check_prototype(void)
{
	const struct btf_type *func, *proto;
	const struct btf_param *param;
	char type[ZCTCP_TYPE_NAME];
	struct btf *btf;
	unsigned int i, n;
	int bad = 0;
	s32 id;

	btf = zctcp_chk.btf_vmlinux();
	if (IS_ERR_OR_NULL(btf)) {
		pr_err("refusing to load: no vmlinux BTF to check %s() against\n",
		       ZCTCP_REPLACED);
		return -ENOEXEC;
	}
	id = zctcp_chk.find_by_name_kind(btf, ZCTCP_REPLACED, BTF_KIND_FUNC);
	func = id > 0 ? btf_type_by_id(btf, id) : NULL;
	proto = func ? btf_type_by_id(btf, func->type) : NULL;
	if (!proto || BTF_INFO_KIND(proto->info) != BTF_KIND_FUNC_PROTO) {
		pr_err("refusing to load: %s() has no prototype in the vmlinux BTF\n",
		       ZCTCP_REPLACED);
		return -ENOEXEC;
	}

	zctcp_type_name(btf, proto->type, type, sizeof(type), 0);
	if (strcmp(type, zctcp_return_type)) {
		pr_err("refusing to load: %s() returns %s, the patch's copy %s\n",
		       ZCTCP_REPLACED, type, zctcp_return_type);
		bad++;
	}
	n = BTF_INFO_VLEN(proto->info);
	if (n != ARRAY_SIZE(zctcp_params)) {
		pr_err("refusing to load: %s() takes %u parameters, the patch's copy %zu\n",
		       ZCTCP_REPLACED, n, ARRAY_SIZE(zctcp_params));
		return -ENOEXEC;
	}
	param = (const struct btf_param *)(proto + 1);
	for (i = 0; i < n; i++) {
		const char *name = zctcp_chk.name_by_offset(btf,
							    param[i].name_off);

		zctcp_type_name(btf, param[i].type, type, sizeof(type), 0);
		if (!name || strcmp(name, zctcp_params[i].name) ||
		    strcmp(type, zctcp_params[i].type)) {
			pr_err("refusing to load: parameter %u of %s() is '%s %s', the patch's copy has '%s %s'\n",
			       i + 1, ZCTCP_REPLACED, type, name ?: "?",
			       zctcp_params[i].type, zctcp_params[i].name);
			bad++;
		}
	}
	if (bad)
		return -ENOEXEC;
	zctcp_print_prototype();
	return 0;
}

/**
 * zctcp_check_target() - may this kernel be patched?
 * @build_id: build ID, in hex, of the kernel the module was built for
 *
 * Return: 0 if the running kernel has that build ID and its
 * tcp_zerocopy_vm_insert_batch() the copy's prototype; -ENOEXEC (after
 * saying what differs), or the error of ksym_resolve().
 */
int zctcp_check_target(const char *build_id)
{
	int ret, bad;

	ret = ksym_resolve(zctcp_check_syms, ARRAY_SIZE(zctcp_check_syms),
			   zctcp_ibt_check, NULL);
	if (ret)
		return ret;
	/* Both are checked, so that one load says everything that differs. */
	bad = zctcp_check_build_id(build_id);
	ret = zctcp_check_prototype();
	return bad ?: ret;
}
