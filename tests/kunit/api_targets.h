/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Functions the API suite traces (api_targets.c, api_dup.c): built with
 * ftrace instrumentation and kept out of the compiler's inter-procedural
 * reach, so that each call really happens.
 */
#ifndef MFG_API_TARGETS_H
#define MFG_API_TARGETS_H

int mfg_api_a(int x);
int mfg_api_b(int x);
int mfg_api_c(int x);
/* The glob targets: mfg_api_g_0 ... mfg_api_g_7, returning x + n. */
#define MFG_API_NR_GLOB 8
extern int (*const mfg_api_glob_fns[MFG_API_NR_GLOB])(int x);
int mfg_api_call(int (*fn)(void *arg), void *arg);
int mfg_api_outer(int (*fn)(void *arg), void *arg);
/* Two static functions both named mfg_api_dup, one in each object. */
int mfg_api_dup_here(int x);
int mfg_api_dup_there(int x);

#endif /* MFG_API_TARGETS_H */
