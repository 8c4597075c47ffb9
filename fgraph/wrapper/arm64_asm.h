/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For arch/arm64/return_trampoline.S, after <asm/asm-offsets.h>: the
 * ftrace_regs offsets. Before 6.2 (no FREGS_* offsets) arm64's ftrace_regs
 * is a struct pt_regs (fgraph/wrapper/ftrace_regs.h): the same registers
 * at its offsets.
 */
#ifndef MFG_WRAPPER_ARM64_ASM_H
#define MFG_WRAPPER_ARM64_ASM_H

#ifndef FREGS_X0
#define FREGS_X0	S_X0
#define FREGS_X2	S_X2
#define FREGS_X4	S_X4
#define FREGS_X6	S_X6
#define FREGS_FP	S_FP
#define FREGS_SP	S_SP
#define FREGS_SIZE	PT_REGS_SIZE
#endif

#endif /* MFG_WRAPPER_ARM64_ASM_H */
