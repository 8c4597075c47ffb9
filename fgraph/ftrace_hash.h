/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading back the functions of an ftrace_ops filter (see kcompat.h).
 *
 * A user's filter is a private ftrace_ops that is never registered: ftrace
 * resolves names, globs and addresses into its filter hash. No exported
 * interface lists a hash's functions, so we read struct ftrace_hash, which
 * is private to kernel/trace, by field offsets: this kernel's offsets are
 * checked against ftrace itself at module load (mfg_ftrace_hash_init()), and
 * every read goes through get_kernel_nofault() and is bounded, so that a
 * layout we got wrong fails with -EINVAL and a message, never an oops.
 */
#ifndef MFG_FTRACE_HASH_H
#define MFG_FTRACE_HASH_H

#include <linux/ftrace.h>

/**
 * struct mfg_hash_layout - where struct ftrace_hash keeps what we read
 * @size_bits: offset of its log2 number of buckets (unsigned long)
 * @buckets: offset of its bucket array (struct hlist_head *)
 * @count: offset of its number of entries (unsigned long)
 * @max_bits: the largest size_bits ftrace allocates (FTRACE_HASH_MAX_BITS)
 *
 * The entries are struct ftrace_func_entry, which <linux/ftrace.h> declares.
 */
struct mfg_hash_layout {
	unsigned int size_bits;
	unsigned int buckets;
	unsigned int count;
	unsigned int max_bits;
};

/* This kernel's layout. */
extern const struct mfg_hash_layout mfg_hash_layout;

int mfg_hash_read(const struct mfg_hash_layout *layout, const void *hash,
		  unsigned long *ips, unsigned long max, unsigned long *n);
int mfg_hash_validate(const struct mfg_hash_layout *layout);
int mfg_ftrace_hash_init(void);

unsigned long mfg_ftrace_ops_count(struct ftrace_ops *ops);
int mfg_ftrace_ops_ips(struct ftrace_ops *ops, unsigned long **ips, unsigned int *n);

#endif /* MFG_FTRACE_HASH_H */
