// SPDX-License-Identifier: GPL-2.0
/*
 * x86_64: hand a sleeping task's frames back to their callers.
 *
 * The frame key is the return slot's address (mfg_arch.h): the slot holds
 * the trampoline's address as a plain word, and putting the real return
 * address back is one compare-and-swap. See fgraph/lifecycle.c for when
 * this is done and why it is safe.
 */
#include <linux/sched.h>
#include <linux/sched/task_stack.h>

#include "mfg_arch.h"

/**
 * mfg_arch_release_begin() - Prepare to hand back @task's frames.
 * @r: filled in for mfg_arch_release_slot()
 * @task: a task off its CPU, listed, under RCU
 * @tramp: the trampoline's address
 *
 * Context: RCU read-side section, which keeps @task's stack from being freed.
 * Return: false if @task has no stack any more.
 */
bool mfg_arch_release_begin(struct mfg_arch_release *r, struct task_struct *task,
			    unsigned long tramp)
{
	r->stack = (unsigned long)READ_ONCE(task->stack);
	r->tramp = tramp;
	return r->stack;
}

/**
 * mfg_arch_release_slot() - Check or swap one frame's return slot.
 * @r: from mfg_arch_release_begin()
 * @key: the frame's key: its return slot's address
 * @ret_addr: the real return address
 * @commit: false to check only, true to swap
 *
 * A slot outside the task's stack is never touched.
 *
 * Context: as mfg_arch_release_begin().
 * Return: whether the slot held the trampoline's address (and, with
 * @commit, now holds @ret_addr).
 */
bool mfg_arch_release_slot(struct mfg_arch_release *r, unsigned long key,
			   unsigned long ret_addr, bool commit)
{
	unsigned long *slot = (unsigned long *)key;
	unsigned long tramp = r->tramp;

	if (key < r->stack || key > r->stack + THREAD_SIZE - sizeof(*slot) ||
	    !IS_ALIGNED(key, sizeof(*slot)))
		return false;
	if (!commit)
		return READ_ONCE_NOCHECK(*slot) == tramp;
	return try_cmpxchg(slot, &tramp, ret_addr);
}
