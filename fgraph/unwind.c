// SPDX-License-Identifier: GPL-2.0
/*
 * The unwinder API: the real return addresses behind trampoline addresses,
 * and a stack trace that shows them.
 */
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/stacktrace.h>

#include "hook.h"

#if defined(CONFIG_X86_64)
#include "../arch/x86/mfg_arch.h"
#elif defined(CONFIG_ARM64)
#include "../arch/arm64/mfg_arch.h"
#endif

/* See include/mfgraph.h. */
unsigned long mfg_ret_addr(struct task_struct *task, int *idx, unsigned long ret,
			   unsigned long *retp)
{
	struct mfg_core_ctx ctx;
	unsigned long real;

	preempt_disable_notrace();
	mfg_ctx_of(&ctx, task, raw_smp_processor_id());
	real = mfg_core_ret_addr(&ctx, idx, ret, (unsigned long)retp);
	preempt_enable_notrace();
	return real;
}
EXPORT_SYMBOL_GPL(mfg_ret_addr);

/* Walking current's frames for mfg_stack_trace_save(). */
struct mfg_trace_walk {
	unsigned long tramp;
	bool restore;		/* unswap: put the trampoline back */
	unsigned long *trace;	/* fix: the trace, its length, the next entry */
	unsigned int n, next;
};

/*
 * x86_64: put one frame's real return address where the unwinder reads it,
 * or (@w->restore) the trampoline's back. The slot holds ours, or another
 * tracer's trampoline that keeps ours (mfg_arch_swap_under()).
 */
static bool mfg_unswap_one(void *arg, unsigned long key, unsigned long ret_addr)
{
	const struct mfg_trace_walk *w = arg;
	unsigned long *slot = (unsigned long *)key;
	unsigned long from = w->restore ? ret_addr : w->tramp;
	unsigned long to = w->restore ? w->tramp : ret_addr;

	if (READ_ONCE(*slot) == from)
		WRITE_ONCE(*slot, to);
	else
		mfg_arch_swap_under(key, from, to);
	return true;
}

/*
 * Replace the next trampoline address in the trace with this frame's real
 * return address: the unwinder meets our frames innermost first, as the
 * engine lists them.
 */
static bool mfg_fix_one(void *arg, unsigned long key, unsigned long ret_addr)
{
	struct mfg_trace_walk *w = arg;

	while (w->next < w->n && w->trace[w->next] != w->tramp)
		w->next++;
	if (w->next == w->n)
		return false;
	w->trace[w->next++] = mfg_arch_real_ret(key, ret_addr);
	return true;
}

/* See include/mfgraph.h. */
noinline unsigned int mfg_stack_trace_save(unsigned long *store, unsigned int size,
					   unsigned int skipnr)
{
	struct mfg_trace_walk w = {
		.tramp = (unsigned long)mfg_return_trampoline,
		.trace = store,
	};
	struct mfg_core_ctx ctx;

	preempt_disable_notrace();
	mfg_ctx_of(&ctx, current, raw_smp_processor_id());
	/*
	 * The unwinder cannot see through the trampoline address: put the
	 * real addresses back while it runs. Only current's own outer frames
	 * are touched, and nothing returns through them meanwhile. Not while
	 * the drain hands frames back (lifecycle.c): swapping the trampoline
	 * back into a slot it just restored would send the task into the
	 * trampoline with no frame. The drain waits for this section
	 * (preemption disabled) before it starts.
	 */
	if (MFG_ARCH_KEY_IS_SLOT && !READ_ONCE(mfg_releasing)) {
		mfg_core_each_swapped(&ctx, mfg_unswap_one, &w);
		w.n = stack_trace_save(store, size, skipnr + 1);
		w.restore = true;
		mfg_core_each_swapped(&ctx, mfg_unswap_one, &w);
	} else {
		/* The unwind stops at, or walks past, the trampoline: fix after. */
		w.n = stack_trace_save(store, size, skipnr + 1);
		mfg_core_each_swapped(&ctx, mfg_fix_one, &w);
	}
	preempt_enable_notrace();
	return w.n;
}
EXPORT_SYMBOL_GPL(mfg_stack_trace_save);
