/* SPDX-License-Identifier: GPL-2.0 */
/* The functions of mfg_krp_target (see krp_mod_target.c). */
#ifndef MFG_KRP_MOD_TARGET_H
#define MFG_KRP_MOD_TARGET_H

int krp_mod_target_inline(int x);
int krp_mod_target_pooled(int x);

#endif /* MFG_KRP_MOD_TARGET_H */
