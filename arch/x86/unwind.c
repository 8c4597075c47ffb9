// SPDX-License-Identifier: GPL-2.0
/*
 * x86_64: a stack trace through a return slot that another tracer's
 * return trampoline took over after ours.
 */
#include <linux/rethook.h>
#include <linux/sched.h>

#include "mfg_arch.h"

/**
 * mfg_arch_swap_under() - Swap an address a rethook keeps for a return slot.
 * @slot: the return slot of one of current's frames
 * @from: the address the rethook should keep: our trampoline's, or the
 *	real return address while a trace is taken
 * @to: the address to put there instead
 *
 * A rethook (kretprobe, fprobe) whose ftrace_ops ran after ours put its
 * trampoline into @slot and keeps ours in its node for @slot. The unwinder
 * recovers the return address from that node, and stops at our
 * trampoline: mfg_stack_trace_save() puts the real address there instead
 * while it unwinds, and ours back before anything can return through it.
 * Two rethooks on one function both match @slot; only the one that keeps
 * @from is changed.
 *
 * Context: current, preemption disabled: nothing returns through @slot
 * meanwhile, and an NMI only adds and removes its own nodes at the head.
 */
void mfg_arch_swap_under(unsigned long slot, unsigned long from, unsigned long to)
{
#ifdef CONFIG_RETHOOK
	struct llist_node *node;

	for (node = READ_ONCE(current->rethooks.first); node; node = READ_ONCE(node->next)) {
		struct rethook_node *rh = container_of(node, struct rethook_node, llist);

		if (rh->frame == slot && READ_ONCE(rh->ret_addr) == from) {
			WRITE_ONCE(rh->ret_addr, to);
			return;
		}
	}
#endif
}
