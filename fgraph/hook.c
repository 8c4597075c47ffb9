// SPDX-License-Identifier: GPL-2.0
/*
 * The tracing path: the ftrace_ops whose callback enters the engine, and the
 * return handler the trampolines call.
 *
 * Everything here is built without ftrace instrumentation (see Kbuild).
 */
#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched.h>

#include "hook.h"

#if defined(CONFIG_X86_64)
#include "../arch/x86/mfg_arch.h"
#elif defined(CONFIG_ARM64)
#include "../arch/arm64/mfg_arch.h"
#else
#error "mfgraph supports x86_64 and arm64"
#endif

static void mfg_ftrace_entry(unsigned long ip, unsigned long parent_ip,
			     struct ftrace_ops *op, struct ftrace_regs *fregs);

struct ftrace_ops mfg_hook_ops = {
	.func = mfg_ftrace_entry,
	/*
	 * No FTRACE_OPS_FL_RECURSION: that flag makes ftrace wrap the
	 * callback in ftrace_ops_assist_func (about 50 instructions a call)
	 * for a recursion guard the callback takes itself.
	 */
	.flags = 0,
};

/* No buffer on the stack: spare every traced call the canary's cost. */
static void notrace __no_stack_protector
mfg_ftrace_entry(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op,
		 struct ftrace_regs *fregs)
{
	struct mfg_core_ctx ctx __uninitialized;	/* mfg_ctx_of() fills it */
	unsigned long *retp;
	int bit, want;

	/*
	 * Disables preemption too: the engine's RCU read side. It guards
	 * the entry side only; the engine refuses calls made from inside its
	 * callbacks itself (see mfg_core_entry()).
	 */
	bit = ftrace_test_recursion_trylock(ip, parent_ip);
	if (bit < 0)
		return;
	/* As the kernel's graph tracer: suspend and resume pause it. */
	if (unlikely(mfg_graph_paused(current))) {
		mfg_core_count_miss(smp_processor_id(), MFG_MISS_PAUSED);
		goto out;
	}
	mfg_ctx_of(&ctx, current, smp_processor_id());
	if (unlikely(!ctx.rcu_watching)) {
		/* Unregistration waits for RCU readers; this would not be one. */
		mfg_core_count_miss(ctx.cpu, MFG_MISS_NOT_WATCHING);
		goto out;
	}
	retp = mfg_arch_ret_slot(fregs);
	want = mfg_core_entry(&ctx, ip, retp, mfg_arch_entry_key(fregs, retp), fregs);
	if (unlikely(want))
		mfg_request_refill();
out:
	ftrace_test_recursion_unlock(bit);
}

/**
 * mfg_return_handler() - deliver a traced function's return
 * @fregs: return-time registers, built by the trampoline
 * @unwind_slot: where the trampoline's frame keeps its return address
 *
 * Called only from mfg_return_trampoline (arch/<arch>/return_trampoline.S).
 *
 * Context: any context the traced function returned in.
 * Return: the address the traced function really returns to.
 */
unsigned long notrace mfg_return_handler(struct ftrace_regs *fregs, unsigned long *unwind_slot);
unsigned long notrace __no_stack_protector
mfg_return_handler(struct ftrace_regs *fregs, unsigned long *unwind_slot)
{
	struct mfg_core_ctx ctx __uninitialized;	/* mfg_ctx_of() fills it */
	unsigned long ret;

	/* The RCU read side that keeps a user's ops alive during its callback. */
	preempt_disable_notrace();
	mfg_ctx_of(&ctx, current, smp_processor_id());
	ret = mfg_core_return(&ctx, mfg_arch_return_key(fregs),
			      ftrace_regs_get_return_value(fregs), unwind_slot, fregs);
	preempt_enable_notrace();
	return ret;
}

int mfg_hook_init(void)
{
	mfg_lifecycle_init();
	return mfg_core_stats_init(nr_cpu_ids);
}

/* No user and nothing outstanding, or the module could not unload. */
void mfg_hook_exit(void)
{
	mfg_lifecycle_exit();
	mfg_filters_exit();
	mfg_core_stats_exit();
}
