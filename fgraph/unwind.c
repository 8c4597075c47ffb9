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

/* See include/mfgraph.h. */
noinline unsigned int mfg_stack_trace_save(unsigned long *store, unsigned int size,
					   unsigned int skipnr)
{
	struct mfg_core_ctx ctx;
	unsigned int n;

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
		mfg_core_unswap_all(&ctx, false);
		n = stack_trace_save(store, size, skipnr + 1);
		mfg_core_unswap_all(&ctx, true);
	} else {
		/* The unwind stops at, or walks past, the trampoline: fix after. */
		n = stack_trace_save(store, size, skipnr + 1);
		mfg_core_fix_trace(&ctx, store, n);
	}
	preempt_enable_notrace();
	return n;
}
EXPORT_SYMBOL_GPL(mfg_stack_trace_save);

