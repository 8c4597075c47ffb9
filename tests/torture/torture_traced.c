// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_torture: callbacks compiled WITH ftrace instrumentation (see
 * mfg-traced-objs in Kbuild). A user tracing "*" with these callbacks
 * traces its own entry and return callbacks and the helper they call: the
 * engine must run every call made from inside a callback untraced, never
 * recurse.
 */
#include <linux/compiler.h>

#include "torture.h"

/* A traceable function the callbacks call, as real callbacks call helpers. */
static __attribute__((__noipa__)) void mfg_torture_traced_note(struct mfg_torture_user *u)
{
	barrier();
}

__attribute__((__noipa__)) int mfg_torture_traced_entry(const struct mfg_entry *trace,
							struct mfg_ops *ops,
							struct ftrace_regs *fregs)
{
	mfg_torture_traced_note(container_of(ops, struct mfg_torture_user, ops));
	return mfg_torture_do_entry(trace, ops);
}

__attribute__((__noipa__)) void mfg_torture_traced_return(const struct mfg_return *trace,
							  struct mfg_ops *ops,
							  struct ftrace_regs *fregs)
{
	mfg_torture_traced_note(container_of(ops, struct mfg_torture_user, ops));
	mfg_torture_do_return(trace, ops);
}
