/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86_64: where a traced function's return address lives, and what
 * identifies one return.
 *
 * The ftrace_ops callback runs from the fentry call, before the traced
 * function's prologue, so the stack pointer it reports points at the return
 * address. That slot's address identifies the call: at the return, the
 * trampoline reports the stack pointer as the ret left it, one word above.
 */
#ifndef MFG_ARCH_X86_H
#define MFG_ARCH_X86_H

#include "wrapper/ftrace_regs.h"

/* The unwinder reads return slots by address: swapping them back works. */
#define MFG_ARCH_KEY_IS_SLOT 1

static __always_inline unsigned long *mfg_arch_ret_slot(struct ftrace_regs *fregs)
{
	return (unsigned long *)ftrace_regs_get_stack_pointer(fregs);
}

static __always_inline unsigned long
mfg_arch_entry_key(struct ftrace_regs *fregs, unsigned long *slot)
{
	return (unsigned long)slot;
}

static __always_inline unsigned long mfg_arch_return_key(struct ftrace_regs *fregs)
{
	return ftrace_regs_get_stack_pointer(fregs) - sizeof(unsigned long);
}

/*
 * A sleeping task's frames can be handed back to their callers: the key is
 * the return slot, on the task's stack, and holds the trampoline's address
 * as a plain word (arch/x86/release.c).
 */
struct mfg_arch_release {
	unsigned long stack;	/* the task's stack */
	unsigned long tramp;
};

bool mfg_arch_release_begin(struct mfg_arch_release *r, struct task_struct *task,
			    unsigned long tramp);
bool mfg_arch_release_slot(struct mfg_arch_release *r, unsigned long key,
			   unsigned long ret_addr, bool commit);

/*
 * A stack trace (fgraph/unwind.c): the key is the return slot, so the real
 * return addresses are put back while the unwinder runs; under a rethook
 * that took the slot over, into its node (arch/x86/unwind.c). A trace
 * fixed afterwards shows the saved addresses as they are.
 */
void mfg_arch_swap_under(unsigned long slot, unsigned long from, unsigned long to);

static inline unsigned long mfg_arch_real_ret(unsigned long key, unsigned long ret_addr)
{
	return ret_addr;
}

#endif /* MFG_ARCH_X86_H */
