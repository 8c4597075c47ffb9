/* SPDX-License-Identifier: GPL-2.0 */
/*
 * struct ftrace_regs: what the engine and its users read from it.
 *
 * 6.2 added the ftrace_regs_get_*() accessors (with arm64's
 * DYNAMIC_FTRACE_WITH_ARGS), 6.13 arch_ftrace_regs() and
 * linux/ftrace_regs.h, which Debian's 6.12 has too: each is probed in the
 * headers (fgraph/wrapper/probe.kbuild), not guessed from the version.
 *
 * Before 6.2, ftrace_regs is a struct pt_regs on both arches. x86_64's
 * ftrace_caller fills ip, sp, bp and the argument registers; arm64's
 * (DYNAMIC_FTRACE_WITH_REGS only) fills x0-x9, fp (x29), lr (x30), sp and
 * pc, and reloads x0-x8, fp and lr from there when the callback returns, so
 * writing lr redirects the function's return as it does on 6.2's
 * ftrace_regs (the 6.1 graph tracer writes the same slot). Our return
 * trampolines build the same pt_regs shape (fgraph/wrapper/arm64_asm.h).
 */
#ifndef MFG_WRAPPER_FTRACE_REGS_H
#define MFG_WRAPPER_FTRACE_REGS_H

#include <linux/build_bug.h>
#include <linux/ftrace.h>
#include <linux/ptrace.h>
#include <linux/stddef.h>

#ifndef MFG_HAVE_ARCH_FTRACE_REGS
#ifdef CONFIG_ARM64
/* A pt_regs, its words named as 6.2's arm64 ftrace_regs names them. */
struct mfg_arm64_ftrace_regs {
	unsigned long regs[8];		/* x0-x7: arguments, return value */
	unsigned long x8_x28[21];
	unsigned long fp;
	unsigned long lr;
	unsigned long sp;
	unsigned long pc;
};

static_assert(offsetof(struct mfg_arm64_ftrace_regs, fp) == offsetof(struct pt_regs, regs[29]));
static_assert(offsetof(struct mfg_arm64_ftrace_regs, lr) == offsetof(struct pt_regs, regs[30]));
static_assert(offsetof(struct mfg_arm64_ftrace_regs, sp) == offsetof(struct pt_regs, sp));
static_assert(offsetof(struct mfg_arm64_ftrace_regs, pc) == offsetof(struct pt_regs, pc));
#define arch_ftrace_regs(fregs) ((struct mfg_arm64_ftrace_regs *)(fregs))
#else
/* x86_64's ftrace_regs is { struct pt_regs regs; } in every version. */
#define arch_ftrace_regs(fregs) (fregs)
#endif
#endif /* !MFG_HAVE_ARCH_FTRACE_REGS */

/*
 * Read the registers directly: arm64's regs_return_value() looks at pstate
 * (compat tasks), which neither ftrace nor our trampoline fills in.
 */
#ifndef MFG_HAVE_FTRACE_REGS_GET
static __always_inline unsigned long ftrace_regs_get_stack_pointer(struct ftrace_regs *fregs)
{
	return fregs->regs.sp;
}

static __always_inline unsigned long ftrace_regs_get_argument(struct ftrace_regs *fregs,
							      unsigned int n)
{
	return regs_get_kernel_argument(&fregs->regs, n);
}

static __always_inline unsigned long ftrace_regs_get_return_value(struct ftrace_regs *fregs)
{
#ifdef CONFIG_ARM64
	return fregs->regs.regs[0];
#else
	return fregs->regs.ax;
#endif
}
#endif /* !MFG_HAVE_FTRACE_REGS_GET */

#ifndef MFG_HAVE_FTRACE_REGS_FRAME_POINTER
static __always_inline unsigned long ftrace_regs_get_frame_pointer(struct ftrace_regs *fregs)
{
#ifdef CONFIG_ARM64
	return fregs->regs.regs[29];
#else
	return fregs->regs.bp;
#endif
}
#endif /* !MFG_HAVE_FTRACE_REGS_FRAME_POINTER */

/* Where ftrace_regs is a pt_regs, the partial registers are that pt_regs. */
#ifndef MFG_HAVE_FTRACE_PARTIAL_REGS
static __always_inline struct pt_regs *ftrace_partial_regs(struct ftrace_regs *fregs,
							   struct pt_regs *regs)
{
	return &fregs->regs;
}
#endif /* !MFG_HAVE_FTRACE_PARTIAL_REGS */

#endif /* MFG_WRAPPER_FTRACE_REGS_H */
