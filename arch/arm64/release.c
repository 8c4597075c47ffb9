// SPDX-License-Identifier: GPL-2.0
/*
 * arm64: hand a sleeping task's frames back to their callers.
 *
 * At a traced function's entry mfgraph put the trampoline's address in the
 * link register (mfg_arch.h); the function's prologue then stored it in its
 * frame record {caller's frame pointer, return address}, signed with the
 * task's instruction key A and the stack pointer at entry as modifier when
 * the kernel uses pointer authentication (paciasp). The frame key is the
 * caller's frame pointer, which is also the record's first word, so the
 * record is found by walking the task's frame records from where it
 * switched out.
 *
 * To put the real address back signed as the epilogue's autiasp expects,
 * we need the modifier: the record lies below the entry stack pointer and
 * the caller's frame record at or above it, so it is one of the 16-byte
 * aligned addresses in between. We sign the trampoline's address with the
 * task's key and each of them, and use the one that reproduces the stored
 * value, only if exactly one does. See fgraph/lifecycle.c for when this is
 * done and why it is safe.
 */
#include <linux/irqflags.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <asm/compiler.h>		/* ptrauth_kernel_pac_mask() up to 6.1 */
#include <asm/pointer_auth.h>
#include <asm/sysreg.h>

#include "mfg_arch.h"

/* One frame record: x29, x30 as the prologue stored them. */
struct mfg_frame_record {
	unsigned long fp;
	unsigned long lr;
};

static bool mfg_in_stack(const struct mfg_arch_release *r, unsigned long addr,
			 unsigned long size)
{
	return addr >= r->stack && addr <= r->stack + THREAD_SIZE - size &&
	       IS_ALIGNED(addr, sizeof(long));
}

static unsigned long mfg_strip_pac(const struct mfg_arch_release *r, unsigned long lr)
{
#ifdef CONFIG_ARM64_PTR_AUTH_KERNEL
	/* Kernel text addresses have every bit above the VA range set. */
	if (r->pac)
		return lr | ptrauth_kernel_pac_mask();
#endif
	return lr;
}

/* The record whose caller's frame pointer is @key and that returns to us. */
static struct mfg_frame_record *mfg_find_record(const struct mfg_arch_release *r,
						unsigned long key)
{
	unsigned long fp = r->fp;
	unsigned int n;

	for (n = 0; n < THREAD_SIZE / sizeof(struct mfg_frame_record); n++) {
		struct mfg_frame_record *rec = (void *)fp;
		unsigned long next, lr;

		if (!mfg_in_stack(r, fp, sizeof(*rec)))
			return NULL;
		next = READ_ONCE_NOCHECK(rec->fp);
		lr = READ_ONCE_NOCHECK(rec->lr);
		if (next == key && mfg_strip_pac(r, lr) == r->tramp)
			return rec;
		/* Outer records are higher up; anything else ends the chain. */
		if (next <= fp)
			return NULL;
		fp = next;
	}
	return NULL;
}

#ifdef CONFIG_ARM64_PTR_AUTH_KERNEL
/* pacia1716: sign x17 with key A and modifier x16; a hint, any -march. */
static __always_inline unsigned long mfg_pacia(unsigned long ptr, unsigned long modifier)
{
	register unsigned long x17 asm("x17") = ptr;
	register unsigned long x16 asm("x16") = modifier;

	asm volatile("hint #8" : "+r" (x17) : "r" (x16));
	return x17;
}

/*
 * Sign @ret_addr as the prologue signed @tramp into @signed_tramp, with
 * @keys and the one modifier in [@lo, @hi] that reproduces it. Between the
 * key switches nothing may sign or authenticate a return address with our
 * own key: no call, no instrumentation, interrupts off; our own prologue
 * and epilogue run with our key in place.
 */
static noinline notrace __no_sanitize_address bool
mfg_pac_resign(struct ptrauth_key theirs, struct ptrauth_key ours, unsigned long tramp,
	       unsigned long signed_tramp, unsigned long lo, unsigned long hi,
	       unsigned long ret_addr, unsigned long *signed_ret)
{
	unsigned long flags, sp, found = 0, matches = 0;

	raw_local_irq_save(flags);
	__ptrauth_key_install_nosync(APIA, theirs);
	isb();
	for (sp = lo; sp <= hi; sp += 16) {
		if (mfg_pacia(tramp, sp) == signed_tramp) {
			found = sp;
			matches++;
		}
	}
	if (matches == 1)
		*signed_ret = mfg_pacia(ret_addr, found);
	__ptrauth_key_install_nosync(APIA, ours);
	isb();
	raw_local_irq_restore(flags);
	return matches == 1;
}
#endif

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
	r->task = task;
	r->stack = (unsigned long)READ_ONCE(task->stack);
	r->fp = READ_ONCE(task->thread.cpu_context.fp);
	r->tramp = tramp;
	r->pac = IS_ENABLED(CONFIG_ARM64_PTR_AUTH_KERNEL) && system_supports_address_auth();
	return r->stack;
}

/**
 * mfg_arch_release_slot() - Check or swap one frame's return address.
 * @r: from mfg_arch_release_begin()
 * @key: the frame's key: the caller's frame pointer
 * @ret_addr: the real return address
 * @commit: false to check only, true to swap
 *
 * Only a frame record on the task's stack is ever written.
 *
 * Context: as mfg_arch_release_begin().
 * Return: whether the frame's record returns to the trampoline and the real
 * address can be put back (and, with @commit, was).
 */
bool mfg_arch_release_slot(struct mfg_arch_release *r, unsigned long key,
			   unsigned long ret_addr, bool commit)
{
	struct mfg_frame_record *rec = mfg_find_record(r, key);
	unsigned long stored, real = ret_addr;

	if (!rec)
		return false;
	stored = READ_ONCE_NOCHECK(rec->lr);
#ifdef CONFIG_ARM64_PTR_AUTH_KERNEL
	if (r->pac) {
		unsigned long lo = (unsigned long)rec + sizeof(*rec);
		unsigned long hi = min(key, r->stack + THREAD_SIZE);

		if (key <= (unsigned long)rec ||
		    !mfg_pac_resign(r->task->thread.keys_kernel.apia,
				    current->thread.keys_kernel.apia, r->tramp, stored,
				    lo, hi, ret_addr, &real))
			return false;
	}
#endif
	if (!commit)
		return true;
	return try_cmpxchg(&rec->lr, &stored, real);
}
