/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86_64 return trampoline.
 *
 * A traced function whose return some user asked for returns here instead
 * of to its caller. We build a return-time ftrace_regs (return value
 * registers, frame pointer, stack pointer), let mfg_return_handler() deliver
 * the returns, and continue at the original return address it gives back.
 *
 * The function's ret already consumed its return slot. We claim that word
 * again and tell the unwinder it is this frame's return address: the handler
 * writes the real caller's address there before any callback runs, so a
 * stack trace taken in a callback continues into the real caller, and we
 * finally return through it.
 */
#include <linux/linkage.h>
#include <asm/ptrace.h>
#include <asm/unwind_hints.h>
#include <asm/nospec-branch.h>
#include "../../fgraph/wrapper/x86_asm.h"

	.code64
	.section .text, "ax"

/*
 * The unwinder looks a return address up at ip - 1, the call it returns
 * from. A traced call in progress has the trampoline as its return address,
 * so ip - 1 must be ours, not the tail of whatever the linker put before
 * us: one byte whose ORC data says "undefined", so that every unwind that
 * meets the trampoline address on the stack stops there and calls the trace
 * unreliable instead of walking a frame it cannot know (the real caller's
 * frame size is known only at run time). mfg_stack_trace_save() and
 * mfg_ret_addr() give the real addresses.
 */
SYM_CODE_START_LOCAL(mfg_return_trampoline_unwind_stop)
	UNWIND_HINT_UNDEFINED
	ANNOTATE_NOENDBR
	int3
SYM_CODE_END(mfg_return_trampoline_unwind_stop)

/* No alignment: the byte above must be the one just before. */
SYM_CODE_START_NOALIGN(mfg_return_trampoline)
	/* Reached by a ret, never by an indirect branch: no ENDBR. */
	UNWIND_HINT_UNDEFINED
	ANNOTATE_NOENDBR

	movq	%rsp, %rdi		/* the stack pointer as the ret left it */
	subq	$8, %rsp		/* the return slot again */
	UNWIND_HINT_FUNC
	movq	%rsp, %rsi		/* where the real return address goes */

	subq	$FRAME_SIZE, %rsp	/* pt_regs-shaped ftrace_regs */
	movq	%rax, RAX(%rsp)
	movq	%rdx, RDX(%rsp)
	movq	%rbp, RBP(%rsp)
	movq	%rdi, RSP(%rsp)
	movq	%rsp, %rdi

	call	mfg_return_handler

	/*
	 * The handler returned the original return address and also wrote
	 * it into the slot we claimed: return through that slot. An indirect
	 * jmp would need an ENDBR at the target under IBT, which return
	 * addresses do not have. The call before the ret keeps the return
	 * stack buffer (and call depth tracking) balanced; its own return
	 * address is dropped again, so at every instruction the unwinder
	 * finds the real return address where it looks.
	 */
	movq	RDX(%rsp), %rdx
	movq	RAX(%rsp), %rax
	addq	$FRAME_SIZE, %rsp

	ANNOTATE_INTRA_FUNCTION_CALL
	call	.Lmfg_ret_via_stack
	int3
.Lmfg_ret_via_stack:
	addq	$8, %rsp
	MFG_RET_UNTRACKED
SYM_CODE_END(mfg_return_trampoline)
