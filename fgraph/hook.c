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

/*
 * Per CPU, one bit per context (task, softirq, hardirq, NMI): the engine,
 * and so some user's callback, is running in that context on this CPU. A
 * traced call made meanwhile in the same context runs untraced: a callback
 * that calls traced code (or a user whose filter selects its own
 * callbacks) would otherwise recurse through entry -> frame -> return ->
 * callback until the stack overflows. ftrace's own recursion lock guards
 * only the entry side, and lets one level through for its context
 * transitions. Callbacks run with preemption disabled, so the CPU's bit is
 * the task's; an interrupt sets its own context's bit and clears it again
 * before the interrupted code resumes.
 */
static DEFINE_PER_CPU(unsigned int, mfg_in_engine);

static __always_inline unsigned int mfg_context_bit(void)
{
	return 1U << interrupt_context_level();
}

/* No buffer on the stack: spare every traced call the canary's cost. */
static void notrace __no_stack_protector
mfg_ftrace_entry(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op,
		 struct ftrace_regs *fregs)
{
	struct mfg_core_ctx ctx __uninitialized;	/* mfg_ctx_of() fills it */
	unsigned int busy, ctx_bit;
	unsigned long *retp;
	int bit, want;

	/* Disables preemption too: the engine's RCU read side. */
	bit = ftrace_test_recursion_trylock(ip, parent_ip);
	if (bit < 0)
		return;
	ctx_bit = mfg_context_bit();
	busy = __this_cpu_read(mfg_in_engine);
	if (unlikely(busy & ctx_bit)) {
		mfg_core_count_miss(smp_processor_id(), MFG_MISS_RECURSION);
		goto out;
	}
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
	__this_cpu_write(mfg_in_engine, busy | ctx_bit);
	want = mfg_core_entry(&ctx, ip, retp, mfg_arch_entry_key(fregs, retp), fregs);
	__this_cpu_write(mfg_in_engine, busy);
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
	unsigned int busy;
	unsigned long ret;

	/* The RCU read side that keeps a user's ops alive during its callback. */
	preempt_disable_notrace();
	/* Return callbacks' traced calls run untraced: see mfg_in_engine. */
	busy = __this_cpu_read(mfg_in_engine);
	__this_cpu_write(mfg_in_engine, busy | mfg_context_bit());
	mfg_ctx_of(&ctx, current, smp_processor_id());
	ret = mfg_core_return(&ctx, mfg_arch_return_key(fregs),
			      ftrace_regs_get_return_value(fregs), unwind_slot, fregs);
	__this_cpu_write(mfg_in_engine, busy);
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
