/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For arch/x86/return_trampoline.S, after <asm/unwind_hints.h> and
 * <asm/nospec-branch.h>.
 */
#ifndef MFG_WRAPPER_X86_ASM_H
#define MFG_WRAPPER_X86_ASM_H

/*
 * Before 6.4 (probed, fgraph/wrapper/probe.kbuild) there is no
 * UNWIND_HINT_UNDEFINED. Its predecessor UNWIND_HINT_EMPTY also marks the
 * end of the stack, which the ORC unwinder takes for a complete, reliable
 * trace: livepatch would then miss the frames above the trampoline. An
 * undefined stack pointer without the end mark makes the unwind an error,
 * as UNWIND_HINT_UNDEFINED does.
 */
#ifndef MFG_HAVE_UNWIND_HINT_UNDEFINED
.macro UNWIND_HINT_UNDEFINED
	UNWIND_HINT type=UNWIND_HINT_TYPE_CALL sp_reg=ORC_REG_UNDEFINED end=0
.endm
#endif

/*
 * The trampoline's last return (why the ALTERNATIVE: see there). Before
 * 6.2 there is no call depth tracking (no X86_FEATURE_CALL_DEPTH): the
 * kernel's RET alone.
 */
.macro MFG_RET_UNTRACKED
#ifdef X86_FEATURE_CALL_DEPTH
	ALTERNATIVE __stringify(RET), \
		    __stringify(ANNOTATE_UNRET_SAFE; ret; int3), \
		    X86_FEATURE_CALL_DEPTH
#else
	RET
#endif
.endm

#endif /* MFG_WRAPPER_X86_ASM_H */
