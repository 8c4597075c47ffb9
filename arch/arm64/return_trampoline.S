/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arm64 return trampoline.
 *
 * A traced function whose return some user asked for returns here instead
 * of to its caller. We build a return-time ftrace_regs (x0-x7, the frame
 * pointer, the stack pointer), let mfg_return_handler() deliver the returns,
 * and return to the original address it gives back.
 *
 * Above the ftrace_regs we push a frame record {caller's fp, real return
 * address} and point x29 at it: the handler fills in the real return
 * address before any callback runs, so a frame-pointer unwind from a
 * callback walks from here straight into the real caller.
 *
 * Reached by a ret, never by an indirect branch: no BTI landing pad needed.
 */
#include <linux/linkage.h>
#include <asm/asm-offsets.h>
#include <asm/assembler.h>
#include "../../fgraph/wrapper/arm64_asm.h"

#define MFG_RECORD	FREGS_SIZE
#define MFG_FRAME	(FREGS_SIZE + 16)

	.text
SYM_CODE_START(mfg_return_trampoline)
	sub	sp, sp, #MFG_FRAME
	stp	x0, x1, [sp, #FREGS_X0]
	stp	x2, x3, [sp, #FREGS_X2]
	stp	x4, x5, [sp, #FREGS_X4]
	stp	x6, x7, [sp, #FREGS_X6]
	str	x29, [sp, #FREGS_FP]
	add	x9, sp, #MFG_FRAME
	str	x9, [sp, #FREGS_SP]		/* the stack pointer as the ret left it */

	stp	x29, xzr, [sp, #MFG_RECORD]
	add	x29, sp, #MFG_RECORD

	mov	x0, sp				/* ftrace_regs */
	add	x1, x29, #8			/* where the real return address goes */
	bl	mfg_return_handler
	mov	x30, x0				/* the original return address */

	ldp	x0, x1, [sp, #FREGS_X0]
	ldp	x2, x3, [sp, #FREGS_X2]
	ldp	x4, x5, [sp, #FREGS_X4]
	ldp	x6, x7, [sp, #FREGS_X6]
	ldr	x29, [sp, #FREGS_FP]
	add	sp, sp, #MFG_FRAME
	ret
SYM_CODE_END(mfg_return_trampoline)
