/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arm64: where a traced function's return address lives, and what
 * identifies one return.
 *
 * The ftrace_ops callback runs from the patched function entry, before the
 * traced function's prologue: the return address is still in the link
 * register, saved in ftrace_regs, and x29 is still the caller's frame
 * pointer. The function's epilogue restores that frame pointer before it
 * returns, so the trampoline sees it again: it identifies the call, as the
 * frame record the unwinder reaches the return address from.
 */
#ifndef MFG_ARCH_ARM64_H
#define MFG_ARCH_ARM64_H

#include "wrapper/ftrace_regs.h"

/* The key is a frame pointer, not the return slot. */
#define MFG_ARCH_KEY_IS_SLOT 0

static __always_inline unsigned long *mfg_arch_ret_slot(struct ftrace_regs *fregs)
{
	return &arch_ftrace_regs(fregs)->lr;
}

static __always_inline unsigned long
mfg_arch_entry_key(struct ftrace_regs *fregs, unsigned long *slot)
{
	return arch_ftrace_regs(fregs)->fp;
}

static __always_inline unsigned long mfg_arch_return_key(struct ftrace_regs *fregs)
{
	return arch_ftrace_regs(fregs)->fp;
}

/*
 * A sleeping task's frames can be handed back to their callers: the return
 * address sits in the frame record the traced function's prologue pushed,
 * found from the task's saved frame pointer, signed with the task's
 * pointer-authentication key when the kernel uses one (arch/arm64/release.c).
 */
struct mfg_arch_release {
	struct task_struct *task;
	unsigned long stack;	/* the task's stack */
	unsigned long fp;	/* its frame pointer where it switched out */
	unsigned long tramp;
	bool pac;		/* return addresses are signed */
};

bool mfg_arch_release_begin(struct mfg_arch_release *r, struct task_struct *task,
			    unsigned long tramp);
bool mfg_arch_release_slot(struct mfg_arch_release *r, unsigned long key,
			   unsigned long ret_addr, bool commit);

/*
 * A stack trace (fgraph/unwind.c) is fixed after the unwind: the real
 * return address of a frame, seen through a kretprobe that took the return
 * over before ours (arch/arm64/unwind.c). Nothing is swapped back: the key
 * is not a slot.
 */
unsigned long mfg_arch_real_ret(unsigned long key, unsigned long ret_addr);

static inline void mfg_arch_swap_under(unsigned long slot, unsigned long from, unsigned long to)
{
}

#endif /* MFG_ARCH_ARM64_H */
