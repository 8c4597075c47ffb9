/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For arch/x86/return_trampoline.S, after <asm/unwind_hints.h> and
 * <asm/nospec-branch.h>.
 */
#ifndef MFG_WRAPPER_X86_ASM_H
#define MFG_WRAPPER_X86_ASM_H

/* 6.4 renamed UNWIND_HINT_EMPTY (probed, fgraph/wrapper/probe.kbuild). */
#ifndef MFG_HAVE_UNWIND_HINT_UNDEFINED
.macro UNWIND_HINT_UNDEFINED
	UNWIND_HINT_EMPTY
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
