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

#include <linux/ftrace.h>

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

#endif /* MFG_ARCH_ARM64_H */
