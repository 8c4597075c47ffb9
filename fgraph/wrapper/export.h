/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine's internal symbols (the C++ core's kernel interface) are
 * exported to mfgraph's own test modules only, in a symbol namespace.
 * Namespaces became string literals in 6.13.
 */
#ifndef MFG_WRAPPER_EXPORT_H
#define MFG_WRAPPER_EXPORT_H

#include <linux/export.h>
#include <linux/module.h>
#include <linux/version.h>

#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
#define EXPORT_SYMBOL_MFG_INTERNAL(sym) EXPORT_SYMBOL_NS_GPL(sym, "MFGRAPH_INTERNAL")
#define MFG_IMPORT_INTERNAL() MODULE_IMPORT_NS("MFGRAPH_INTERNAL")
#else
#define EXPORT_SYMBOL_MFG_INTERNAL(sym) EXPORT_SYMBOL_NS_GPL(sym, MFGRAPH_INTERNAL)
#define MFG_IMPORT_INTERNAL() MODULE_IMPORT_NS(MFGRAPH_INTERNAL)
#endif

#endif /* MFG_WRAPPER_EXPORT_H */
