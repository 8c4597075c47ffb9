/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mfgraph: a multi-user function-graph tracing engine.
 *
 * The public C API other kernel modules compile against. Several independent
 * users hook function entry and return at once; each return is delivered
 * through a per-task shadow stack to exactly the users that asked for it.
 */
#ifndef MFGRAPH_H
#define MFGRAPH_H

#include <linux/types.h>

#include "mfgraph_abi.h"

/**
 * mfg_get_core_info() - describe the engine's build-time layout
 * @info: filled in with the limits the loaded engine was compiled with
 *
 * Lets a client check that it was built against the same layout as the
 * mfgraph.ko it runs with (shadow stack size, user slots, data limits).
 *
 * Context: Any context.
 */
void mfg_get_core_info(struct mfg_core_info *info);

#endif /* MFGRAPH_H */
