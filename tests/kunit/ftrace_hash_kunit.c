// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "mfgraph_ftrace_hash": reading back ftrace filter hashes
 * (fgraph/ftrace_hash.c) by a layout that is right, by layouts that are
 * wrong, and from hashes that are not hashes: wrong must mean -EINVAL,
 * never an oops.
 */
#include <kunit/test.h>
#include <linux/ftrace.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "../../fgraph/kcompat.h"

MFG_IMPORT_INTERNAL();

/* This kernel's layout checks out against ftrace. */
static void mfg_hash_right_layout(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, mfg_hash_validate(&mfg_hash_layout), 0);
}

#define W sizeof(unsigned long)

/* Layouts of kernels that might have been: each must be refused. */
static const struct mfg_hash_layout mfg_wrong_layouts[] = {
	/* A field added at the front. */
	{ .size_bits = W, .buckets = 2 * W, .count = 3 * W, .max_bits = 12 },
	/* buckets and count swapped. */
	{ .size_bits = 0, .buckets = 2 * W, .count = W, .max_bits = 12 },
	/* size_bits and count swapped. */
	{ .size_bits = 2 * W, .buckets = W, .count = 0, .max_bits = 12 },
	/* count moved to where flags is. */
	{ .size_bits = 0, .buckets = W, .count = 3 * W, .max_bits = 12 },
	/* Everything far past the object. */
	{ .size_bits = 1 << 20, .buckets = (1 << 20) + W, .count = (1 << 20) + 2 * W,
	  .max_bits = 12 },
};

static void mfg_wrong_layout_desc(const struct mfg_hash_layout *l, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "size_bits@%u buckets@%u count@%u",
		 l->size_bits, l->buckets, l->count);
}

KUNIT_ARRAY_PARAM(mfg_wrong_layout, mfg_wrong_layouts, mfg_wrong_layout_desc);

static void mfg_hash_wrong_layout(struct kunit *test)
{
	const struct mfg_hash_layout *l = test->param_value;

	KUNIT_EXPECT_EQ(test, mfg_hash_validate(l), -EINVAL);
}

/* A hash built by hand in this kernel's layout. */
struct mfg_fake_hash {
	unsigned long words[8];
	struct hlist_head buckets[2];
	struct ftrace_func_entry entries[3];
	struct ftrace_ops_hash ops_hash;
	struct ftrace_ops ops;
};

static void mfg_fake_set(struct mfg_fake_hash *h, unsigned int offset, unsigned long val)
{
	h->words[offset / W] = val;
}

/* Two buckets, three entries (ips 0x100, 0x200, 0x300), and an ops pointing at it. */
static struct mfg_fake_hash *mfg_fake_hash(struct kunit *test)
{
	struct mfg_fake_hash *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, h);
	mfg_fake_set(h, mfg_hash_layout.size_bits, 1);
	mfg_fake_set(h, mfg_hash_layout.buckets, (unsigned long)h->buckets);
	mfg_fake_set(h, mfg_hash_layout.count, 3);
	for (i = 0; i < 3; i++) {
		h->entries[i].ip = 0x100 * (i + 1);
		hlist_add_head(&h->entries[i].hlist, &h->buckets[i & 1]);
	}
	h->ops_hash.filter_hash = (struct ftrace_hash *)h->words;
	h->ops.func_hash = &h->ops_hash;
	return h;
}

static void mfg_hash_fake_reads(struct kunit *test)
{
	struct mfg_fake_hash *h = mfg_fake_hash(test);
	unsigned long ips[4] = {}, n = 0, sum = 0;
	int i;

	KUNIT_ASSERT_EQ(test, mfg_hash_read(&mfg_hash_layout, h->words, ips, 4, &n), 0);
	KUNIT_ASSERT_EQ(test, n, 3UL);
	for (i = 0; i < 3; i++)
		sum += ips[i];
	KUNIT_EXPECT_EQ(test, sum, 0x600UL);
	KUNIT_EXPECT_EQ(test, mfg_hash_read(&mfg_hash_layout, h->words, ips, 2, &n), -ENOSPC);
}

/* Hashes that are not: every one -EINVAL, and no oops. */
static void mfg_hash_fake_corrupt(struct kunit *test)
{
	const struct mfg_hash_layout *l = &mfg_hash_layout;
	struct mfg_fake_hash *h;
	unsigned long ips[8], n;

	/* A cycle. */
	h = mfg_fake_hash(test);
	h->entries[0].hlist.next = &h->entries[0].hlist;
	KUNIT_EXPECT_EQ(test, mfg_hash_read(l, h->words, ips, 8, &n), -EINVAL);

	/* Fewer entries than the count, and more. */
	h = mfg_fake_hash(test);
	mfg_fake_set(h, l->count, 4);
	KUNIT_EXPECT_EQ(test, mfg_hash_read(l, h->words, ips, 8, &n), -EINVAL);
	mfg_fake_set(h, l->count, 2);
	KUNIT_EXPECT_EQ(test, mfg_hash_read(l, h->words, ips, 8, &n), -EINVAL);

	/* Buckets nowhere: low memory, a poison pointer, misaligned. */
	h = mfg_fake_hash(test);
	mfg_fake_set(h, l->buckets, 0x10);
	KUNIT_EXPECT_EQ(test, mfg_hash_read(l, h->words, ips, 8, &n), -EINVAL);
	mfg_fake_set(h, l->buckets, (unsigned long)LIST_POISON1);
	KUNIT_EXPECT_EQ(test, mfg_hash_read(l, h->words, ips, 8, &n), -EINVAL);
	mfg_fake_set(h, l->buckets, (unsigned long)h->buckets + 1);
	KUNIT_EXPECT_EQ(test, mfg_hash_read(l, h->words, ips, 8, &n), -EINVAL);

	/* An entry pointer nowhere. */
	h = mfg_fake_hash(test);
	h->entries[1].hlist.next = (struct hlist_node *)LIST_POISON2;
	KUNIT_EXPECT_EQ(test, mfg_hash_read(l, h->words, ips, 8, &n), -EINVAL);

	/* A size or a count no hash has. */
	h = mfg_fake_hash(test);
	mfg_fake_set(h, l->size_bits, 40);
	KUNIT_EXPECT_EQ(test, mfg_hash_read(l, h->words, ips, 8, &n), -EINVAL);
	h = mfg_fake_hash(test);
	mfg_fake_set(h, l->count, 1UL << 40);
	KUNIT_EXPECT_EQ(test, mfg_hash_read(l, h->words, ips, 8, &n), -EINVAL);
}

/* What filter.c calls, on a filter whose hash is not one: -EINVAL, no oops. */
static void mfg_hash_ops_corrupt(struct kunit *test)
{
	struct mfg_fake_hash *h = mfg_fake_hash(test);
	unsigned long *ips;
	unsigned int n;

	KUNIT_ASSERT_EQ(test, mfg_ftrace_ops_ips(&h->ops, &ips, &n), 0);
	KUNIT_EXPECT_EQ(test, n, 3U);
	KUNIT_EXPECT_EQ(test, mfg_ftrace_ops_count(&h->ops), 3UL);
	kvfree(ips);

	mfg_fake_set(h, mfg_hash_layout.buckets, (unsigned long)LIST_POISON1);
	KUNIT_EXPECT_EQ(test, mfg_ftrace_ops_ips(&h->ops, &ips, &n), -EINVAL);
	KUNIT_EXPECT_NULL(test, ips);
	KUNIT_EXPECT_EQ(test, n, 0U);
}

static struct kunit_case mfg_hash_cases[] = {
	KUNIT_CASE(mfg_hash_right_layout),
	KUNIT_CASE_PARAM(mfg_hash_wrong_layout, mfg_wrong_layout_gen_params),
	KUNIT_CASE(mfg_hash_fake_reads),
	KUNIT_CASE(mfg_hash_fake_corrupt),
	KUNIT_CASE(mfg_hash_ops_corrupt),
	{}
};

static struct kunit_suite mfg_hash_suite = {
	.name = "mfgraph_ftrace_hash",
	.test_cases = mfg_hash_cases,
};

kunit_test_suite(mfg_hash_suite);

MODULE_DESCRIPTION("mfgraph KUnit tests: reading ftrace filter hashes");
MODULE_LICENSE("GPL");
