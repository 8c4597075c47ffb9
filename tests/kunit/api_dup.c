// SPDX-License-Identifier: GPL-2.0
/*
 * The second static mfg_api_dup (see api_targets.h): a name that is not
 * unique, for mfg_func_ip()'s -EADDRNOTAVAIL. Traced like api_targets.c.
 */
#include <linux/compiler.h>

#include "api_targets.h"

#define MFG_TARGET __attribute__((__noipa__))

MFG_TARGET static int mfg_api_dup(int x)
{
	return x + 20;
}

MFG_TARGET int mfg_api_dup_there(int x)
{
	return mfg_api_dup(x);
}
