// SPDX-License-Identifier: GPL-2.0
// Host-side views of the kernel interface's state, for tests.
#ifndef MFG_HOST_KERNEL_H
#define MFG_HOST_KERNEL_H

#include "../../fgraph/mfg_kernel.h"

int host_preempt_depth();
int host_rcu_depth();

#endif
