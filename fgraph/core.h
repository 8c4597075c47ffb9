/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C++ core's entry points for the C glue. Plain C types only: both
 * sides include this header, and the C++ side must not see kernel headers.
 */
#ifndef MFG_CORE_H
#define MFG_CORE_H

#include "../include/mfgraph_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The layout the core was compiled with. */
void mfg_core_describe(struct mfg_core_info *info);

/* Bit i set: registry slot i holds a live user. */
unsigned long long mfg_core_live_users(void);

#ifdef __cplusplus
}
#endif

#endif /* MFG_CORE_H */
