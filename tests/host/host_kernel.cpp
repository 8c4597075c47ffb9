// SPDX-License-Identifier: GPL-2.0
//
// The kernel interface (fgraph/mfg_kernel.h) on the host, for GoogleTest.
// Preemption and RCU sections are counted per thread so tests can check
// that the engine's guards balance.
#include "host_kernel.h"

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace {
thread_local int preempt_depth;
thread_local int rcu_depth;
thread_local char current_task;
} // namespace

int host_preempt_depth() { return preempt_depth; }
int host_rcu_depth() { return rcu_depth; }

extern "C" {

void *mfg_k_zalloc(unsigned long size) { return std::calloc(1, size); }
void mfg_k_free(void *ptr) { std::free(ptr); }
void mfg_k_preempt_disable(void) { ++preempt_depth; }
void mfg_k_preempt_enable(void) { --preempt_depth; }
void mfg_k_rcu_read_lock(void) { ++rcu_depth; }
void mfg_k_rcu_read_unlock(void) { --rcu_depth; }
void *mfg_k_current(void) { return &current_task; }
unsigned int mfg_k_cpu(void) { return 0; }

void mfg_k_fatal(const char *why)
{
	std::fprintf(stderr, "mfgraph: fatal: %s\n", why);
	std::abort();
}

unsigned long long mfg_k_clock_ns(void)
{
	using namespace std::chrono;
	return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

void mfg_k_log(int level, const char *fmt, ...)
{
	std::va_list ap;
	va_start(ap, fmt);
	std::fprintf(stderr, "<%d>mfgraph: ", level);
	std::vfprintf(stderr, fmt, ap);
	std::fputc('\n', stderr);
	va_end(ap);
}
}
