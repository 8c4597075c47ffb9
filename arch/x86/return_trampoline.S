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

	.code64
	.section .text, "ax"

SYM_CODE_START(mfg_return_trampoline)
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
	ALTERNATIVE __stringify(RET), \
		    __stringify(ANNOTATE_UNRET_SAFE; ret; int3), \
		    X86_FEATURE_CALL_DEPTH
SYM_CODE_END(mfg_return_trampoline)
