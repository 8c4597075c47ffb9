/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the public C API and the freestanding C++ engine share: build-time
 * limits and plain-C structures. This header must stay free of kernel
 * includes, so that the C++ core can include it.
 */
#ifndef MFGRAPH_ABI_H
#define MFGRAPH_ABI_H

/*
 * MFG_MAX_USERS - how many mfg_ops may be registered at once. Each user owns
 * one slot of the registry and one bit of a function's user mask, so the
 * engine accepts any value from 1 to 64 (build with -DMFG_MAX_USERS=N).
 */
#ifndef MFG_MAX_USERS
#define MFG_MAX_USERS 16
#endif

/*
 * MFG_SHADOW_STACK_BYTES - the size of one task's shadow stack, control block
 * included. One page by default.
 */
#ifndef MFG_SHADOW_STACK_BYTES
#define MFG_SHADOW_STACK_BYTES 4096
#endif

/* MFG_MAX_DATA_WORDS - per-user, per-call data words one frame may hold. */
#define MFG_MAX_DATA_WORDS 32

/**
 * struct mfg_core_info - the engine's build-time layout, as compiled
 * @max_users: registry slots (MFG_MAX_USERS)
 * @stack_bytes: bytes of one task's shadow stack, control block included
 * @stack_words: words available for frames in one shadow stack
 * @max_depth: frames one shadow stack can hold at most
 * @max_data_words: data words one user may reserve in one frame
 * @header_words: words of a frame header
 * @cplusplus: the C++ standard the core was compiled with (__cplusplus)
 */
struct mfg_core_info {
	unsigned int max_users;
	unsigned int stack_bytes;
	unsigned int stack_words;
	unsigned int max_depth;
	unsigned int max_data_words;
	unsigned int header_words;
	long cplusplus;
};

#endif /* MFGRAPH_ABI_H */
