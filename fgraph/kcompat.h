/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences across versions. Each API that differs has one
 * wrapper in fgraph/wrapper/ (selected by a probe of the headers,
 * fgraph/wrapper/probe.kbuild, or by LINUX_VERSION_CODE where the mainline
 * version is the whole story); the C glue includes them through here and
 * has no version tests of its own. The C++ core never sees any of it.
 */
#ifndef MFG_KCOMPAT_H
#define MFG_KCOMPAT_H

#include <linux/ftrace.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "wrapper/export.h"
#include "wrapper/ftrace_regs.h"
#include "wrapper/graph_pause.h"
#include "wrapper/module.h"
#include "wrapper/rcu.h"
#include "wrapper/trampoline_users.h"

/*
 * A user's filter is a private ftrace_ops that is never registered: ftrace
 * resolves names, globs and addresses into its filter hash, and we read the
 * functions back from there (mfg_ftrace_ops_ips(), mfg_ftrace_ops_count()).
 * struct ftrace_hash is private to kernel/trace: its layout, checked at
 * load and read without faulting, is in ftrace_hash.c.
 */
#include "ftrace_hash.h"

#endif /* MFG_KCOMPAT_H */
