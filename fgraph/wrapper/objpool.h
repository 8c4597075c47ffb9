/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A pool of preallocated objects that any context can take from and give
 * back to without a lock: linux/objpool.h since 6.7 (probed).
 *
 * Before, the same subset of its API (what mfg_kretprobe uses: no init or
 * release callbacks) is built on linux/freelist.h, the lock-free list 6.1's
 * kretprobes keep their instances on: each object follows its list node in
 * one array.
 */
#ifndef MFG_WRAPPER_OBJPOOL_H
#define MFG_WRAPPER_OBJPOOL_H

#ifdef MFG_HAVE_OBJPOOL
#include <linux/objpool.h>
#else
#include <linux/cache.h>
#include <linux/errno.h>
#include <linux/freelist.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>

struct objpool_head {
	struct freelist_head free;
	void *objs;
};

static inline struct freelist_node *mfg_objpool_node(void *obj)
{
	return (struct freelist_node *)obj - 1;
}

/**
 * objpool_init() - allocate @nr_objs zeroed objects of @object_size bytes
 * @pool: the pool
 * @nr_objs: how many
 * @object_size: bytes each
 * @gfp: how to allocate them
 * @context: must be NULL (no init callback here)
 * @objinit: must be NULL
 * @release: must be NULL
 *
 * Context: process context if @gfp may sleep.
 * Return: 0, -EINVAL for a callback or a bad size, -ENOMEM.
 */
static inline int objpool_init(struct objpool_head *pool, int nr_objs, int object_size,
			       gfp_t gfp, void *context, void *objinit, void *release)
{
	size_t stride = ALIGN(sizeof(struct freelist_node) + object_size, SMP_CACHE_BYTES);
	int i;

	if (context || objinit || release || nr_objs <= 0 || object_size <= 0)
		return -EINVAL;
	pool->free.head = NULL;
	pool->objs = kvcalloc(nr_objs, stride, gfp);
	if (!pool->objs)
		return -ENOMEM;
	for (i = 0; i < nr_objs; i++)
		freelist_add(pool->objs + i * stride, &pool->free);
	return 0;
}

/* Context: any. Return: an object, or NULL when all are out. */
static inline void *objpool_pop(struct objpool_head *pool)
{
	struct freelist_node *node = freelist_try_get(&pool->free);

	return node ? node + 1 : NULL;
}

/* Context: any. Return: 0. */
static inline int objpool_push(void *obj, struct objpool_head *pool)
{
	freelist_add(mfg_objpool_node(obj), &pool->free);
	return 0;
}

/* Free every object, in the pool or out. Context: process context. */
static inline void objpool_free(struct objpool_head *pool)
{
	kvfree(pool->objs);
	pool->objs = NULL;
}
#endif /* MFG_HAVE_OBJPOOL */

#endif /* MFG_WRAPPER_OBJPOOL_H */
