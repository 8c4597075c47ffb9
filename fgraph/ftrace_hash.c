// SPDX-License-Identifier: GPL-2.0
/*
 * Reading back the functions of an ftrace_ops filter: see ftrace_hash.h.
 * Everything that depends on the layout of ftrace's private struct
 * ftrace_hash is in this file.
 */
#include <linux/bits.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/ftrace.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include <linux/version.h>
#include <linux/vmalloc.h>

#include "kcompat.h"

/*
 * struct ftrace_hash (kernel/trace/trace.h) has been, from v4.x through
 * 6.12: unsigned long size_bits; struct hlist_head *buckets; unsigned long
 * count; unsigned long flags; struct rcu_head rcu. FTRACE_HASH_MAX_BITS
 * (kernel/trace/ftrace.c) is 12. A kernel that changes them fails the check
 * at load; read them again before allowing a newer kernel here.
 */
#if KERNEL_VERSION(6, 14, 0) <= LINUX_VERSION_CODE
#error "check struct ftrace_hash (kernel/trace/trace.h) against mfg_hash_layout"
#endif
const struct mfg_hash_layout mfg_hash_layout = {
	.size_bits = 0,
	.buckets = sizeof(unsigned long),
	.count = sizeof(unsigned long) + sizeof(void *),
	.max_bits = 12,
};
EXPORT_SYMBOL_MFG_INTERNAL(mfg_hash_layout);

/* More functions than any kernel has: a count beyond it is not a count. */
#define MFG_HASH_MAX_COUNT	BIT(20)

/*
 * How far past a function's address ftrace's call site may be (the ip it
 * keeps): x86_64 ENDBR (4 bytes); arm64 BTI and the first patched NOP
 * (8 bytes).
 */
#define MFG_HASH_SITE_SLACK	16

/* Read the unsigned long at @offset in @hash, without faulting. */
static int mfg_hash_field(const void *hash, unsigned int offset, unsigned long *val)
{
	return get_kernel_nofault(*val, (const unsigned long *)(hash + offset)) ? -EINVAL : 0;
}

/* The header fields of @hash, each checked for sense. */
static int mfg_hash_header(const struct mfg_hash_layout *layout, const void *hash,
			   unsigned long *size_bits, struct hlist_head **buckets,
			   unsigned long *count)
{
	unsigned long b;

	if (mfg_hash_field(hash, layout->size_bits, size_bits) ||
	    mfg_hash_field(hash, layout->count, count) ||
	    mfg_hash_field(hash, layout->buckets, &b))
		return -EINVAL;
	if (*size_bits > layout->max_bits || *count > MFG_HASH_MAX_COUNT ||
	    !IS_ALIGNED(b, sizeof(void *)) || (!b && *count))
		return -EINVAL;
	*buckets = (struct hlist_head *)b;
	return 0;
}

/**
 * mfg_hash_read() - the functions of an ftrace hash
 * @layout: where its fields are
 * @hash: the struct ftrace_hash, or NULL for none
 * @ips: where the functions go
 * @max: room at @ips
 * @n: how many there are
 *
 * Every read is a get_kernel_nofault() and the walk is bounded by the
 * hash's own count, so that a wrong @layout (or a hash that is not one)
 * ends in -EINVAL, never in an oops or a loop.
 *
 * Context: may not run concurrently with changes to the hash (for a filter
 * of ours, mfg_mutex).
 * Return: 0; -ENOSPC if there are more than @max; -EINVAL if @hash does
 * not read as a hash by @layout, or its entries do not add up to its count.
 */
int mfg_hash_read(const struct mfg_hash_layout *layout, const void *hash,
		  unsigned long *ips, unsigned long max, unsigned long *n)
{
	unsigned long size_bits, count, found = 0, i;
	struct hlist_head *buckets;
	int ret;

	*n = 0;
	if (!hash)
		return 0;
	ret = mfg_hash_header(layout, hash, &size_bits, &buckets, &count);
	if (ret)
		return ret;
	if (count > max)
		return -ENOSPC;
	for (i = 0; buckets && i < (1UL << size_bits); i++) {
		struct hlist_node *node;

		if (get_kernel_nofault(node, &buckets[i].first))
			return -EINVAL;
		while (node) {
			struct ftrace_func_entry *entry =
				hlist_entry(node, struct ftrace_func_entry, hlist);
			unsigned long ip;

			/* More entries than the count: a cycle, or not a hash. */
			if (found == count || !IS_ALIGNED((unsigned long)node, sizeof(void *)))
				return -EINVAL;
			if (get_kernel_nofault(ip, &entry->ip) || !ip)
				return -EINVAL;
			ips[found++] = ip;
			if (get_kernel_nofault(node, &node->next))
				return -EINVAL;
		}
	}
	if (found != count)
		return -EINVAL;
	*n = found;
	return 0;
}
EXPORT_SYMBOL_MFG_INTERNAL(mfg_hash_read);

/*
 * Traceable kernel functions whose addresses we know, in files ftrace
 * instruments on every configuration (mm/, kernel/time/; not lib/).
 */
static const unsigned long mfg_hash_probes[] = {
	(unsigned long)kfree, (unsigned long)vfree, (unsigned long)msleep,
	(unsigned long)kstrdup, (unsigned long)kfree_const,
};

/* Is @ip ftrace's call site in the function at @func? */
static bool mfg_hash_site_of(unsigned long ip, unsigned long func)
{
	return ip >= func && ip < func + MFG_HASH_SITE_SLACK;
}

/**
 * mfg_hash_validate() - check a layout against ftrace itself
 * @layout: the layout to check
 *
 * Lets ftrace resolve a known set of functions into a private filter and
 * checks that the hash reads back, by @layout, as exactly those.
 *
 * Context: process, may sleep.
 * Return: 0 if it does; -EINVAL if it does not; -ENODEV if ftrace would
 * take none of the known functions (ftrace disabled); -ENOMEM.
 */
int mfg_hash_validate(const struct mfg_hash_layout *layout)
{
	unsigned long want[ARRAY_SIZE(mfg_hash_probes)], got[ARRAY_SIZE(mfg_hash_probes)];
	bool used[ARRAY_SIZE(mfg_hash_probes)] = {};
	unsigned long nwant = 0, ngot, i, j;
	struct ftrace_ops *ops;
	int ret;

	ops = kzalloc(sizeof(*ops), GFP_KERNEL);
	if (!ops)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(mfg_hash_probes); i++) {
		unsigned long ip = mfg_hash_probes[i];

		/* A configuration may leave one untraceable: go with the rest. */
		if (!ftrace_set_filter_ips(ops, &ip, 1, 0, 0))
			want[nwant++] = ip;
	}
	if (nwant < 2) {
		ret = -ENODEV;
		goto out;
	}
	ret = mfg_hash_read(layout, ops->func_hash ? ops->func_hash->filter_hash : NULL,
			    got, ARRAY_SIZE(got), &ngot);
	if (ret || ngot != nwant) {
		ret = -EINVAL;
		goto out;
	}
	for (i = 0; i < ngot; i++) {
		for (j = 0; j < nwant; j++)
			if (!used[j] && mfg_hash_site_of(got[i], want[j]))
				break;
		if (j == nwant) {
			ret = -EINVAL;
			goto out;
		}
		used[j] = true;
	}
out:
	ftrace_free_filter(ops);
	kfree(ops);
	return ret;
}
EXPORT_SYMBOL_MFG_INTERNAL(mfg_hash_validate);

/**
 * mfg_ftrace_hash_init() - check this kernel's ftrace hash layout
 *
 * Context: module load.
 * Return: 0, or the error of mfg_hash_validate(): then mfgraph must not load.
 */
int mfg_ftrace_hash_init(void)
{
	int ret = mfg_hash_validate(&mfg_hash_layout);

	if (ret == -EINVAL)
		pr_err("mfgraph: ftrace's struct ftrace_hash in kernel %s does not have the layout this mfgraph was built to read: not loading\n",
		       init_utsname()->release);
	else if (ret)
		pr_err("mfgraph: cannot check ftrace's filter hash in kernel %s (error %d): not loading\n",
		       init_utsname()->release, ret);
	return ret;
}

static const void *mfg_filter_hash(struct ftrace_ops *ops)
{
	return ops->func_hash ? ops->func_hash->filter_hash : NULL;
}

/*
 * How many functions @ops's filter holds (0 if it does not read as a
 * hash). Caller serialises filter changes.
 */
unsigned long mfg_ftrace_ops_count(struct ftrace_ops *ops)
{
	const void *hash = mfg_filter_hash(ops);
	unsigned long size_bits, count;
	struct hlist_head *buckets;

	if (!hash || mfg_hash_header(&mfg_hash_layout, hash, &size_bits, &buckets, &count))
		return 0;
	return count;
}
EXPORT_SYMBOL_MFG_INTERNAL(mfg_ftrace_ops_count);

/*
 * The functions of @ops's filter, in a new array (*@ips, kvfree() it) of
 * *@n entries. Caller serialises filter changes.
 * Return: 0, -ENOMEM, or -EINVAL if the filter does not read as a hash.
 */
int mfg_ftrace_ops_ips(struct ftrace_ops *ops, unsigned long **ips, unsigned int *n)
{
	const void *hash = mfg_filter_hash(ops);
	unsigned long size_bits, count, found;
	struct hlist_head *buckets;
	int ret;

	*ips = NULL;
	*n = 0;
	if (!hash)
		return 0;
	ret = mfg_hash_header(&mfg_hash_layout, hash, &size_bits, &buckets, &count);
	if (!ret && !count)
		return 0;
	if (!ret) {
		*ips = kvmalloc_array(count, sizeof(**ips), GFP_KERNEL);
		if (!*ips)
			return -ENOMEM;
		ret = mfg_hash_read(&mfg_hash_layout, hash, *ips, count, &found);
	}
	if (ret) {
		pr_err_ratelimited("mfgraph: an ftrace filter hash does not read back (kernel %s): refusing it\n",
				   init_utsname()->release);
		kvfree(*ips);
		*ips = NULL;
		return -EINVAL;
	}
	*n = found;
	return 0;
}
EXPORT_SYMBOL_MFG_INTERNAL(mfg_ftrace_ops_ips);
