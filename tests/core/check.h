/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one assertion interface of the core scenarios, so the same scenario
 * code runs under GoogleTest on the host and under KUnit in the kernel. It is
 * a plain C struct: the KUnit side fills it in from C.
 */
#ifndef MFG_TEST_CHECK_H
#define MFG_TEST_CHECK_H

#ifdef __cplusplus
extern "C" {
#endif

struct mfg_check {
	/* Report one failed expectation; @what is the expectation's text. */
	void (*fail)(void *ctx, const char *file, int line, const char *what);
	void *ctx;
	unsigned int failures;
};

/* The scenarios, by index: their count, a name, and a runner. */
unsigned int mfg_core_scenario_count(void);
const char *mfg_core_scenario_name(unsigned int index);
void mfg_core_scenario_run(unsigned int index, struct mfg_check *check);

#ifdef __cplusplus
}

namespace mfg::test {

// Record @ok; on failure report @what with the caller's file and line.
inline bool expect(mfg_check &c, bool ok, const char *what, const char *file = __builtin_FILE(),
		   int line = __builtin_LINE())
{
	if (!ok) {
		++c.failures;
		c.fail(c.ctx, file, line, what);
	}
	return ok;
}

} // namespace mfg::test
#endif

#endif // MFG_TEST_CHECK_H
