/* SPDX-License-Identifier: GPL-2.0 */
/* C++ helpers of the mfgraph_module suite; plain C types only. */
#ifndef MFG_MODULE_PROBE_H
#define MFG_MODULE_PROBE_H

#include "../../include/mfgraph_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The layout as this module's own C++ compile of the core sees it. */
void mfg_probe_expected_info(struct mfg_core_info *info);

/* Run @fn(@arg) inside the core's PreemptGuard and RcuReadGuard. */
void mfg_probe_under_guards(void (*fn)(void *arg), void *arg);

#ifdef __cplusplus
}
#endif

#endif /* MFG_MODULE_PROBE_H */
