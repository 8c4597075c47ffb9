// SPDX-License-Identifier: GPL-2.0
//
// ktl: the few freestanding building blocks the engine needs, with no
// standard library and no kernel header. Everything here compiles both with
// the kernel's flags (-ffreestanding -nostdinc++) and on the host.
#ifndef MFG_KTL_H
#define MFG_KTL_H

#include "mfg_kernel.h"

namespace mfg::ktl {

using u8 = __UINT8_TYPE__;
using u16 = __UINT16_TYPE__;
using u32 = __UINT32_TYPE__;
using u64 = __UINT64_TYPE__;
using s32 = __INT32_TYPE__;
using usize = __SIZE_TYPE__;
using uptr = __UINTPTR_TYPE__;

static_assert(sizeof(unsigned long) == 8, "mfgraph supports 64-bit kernels only");

// Linux errno values the engine returns (negated), fixed by the kernel ABI.
namespace err {
inline constexpr int kNoEnt = 2;
inline constexpr int kIo = 5;
inline constexpr int kNoMem = 12;
inline constexpr int kBusy = 16;
inline constexpr int kInval = 22;
inline constexpr int kNoSpc = 28;
inline constexpr int kOverflow = 75;
} // namespace err

template <typename T> constexpr T min(T a, T b) { return a < b ? a : b; }
template <typename T> constexpr T max(T a, T b) { return a < b ? b : a; }

constexpr u64 round_up_pow2(u64 v)
{
	u64 p = 1;
	while (p < v)
		p <<= 1;
	return p;
}

constexpr unsigned log2_pow2(u64 pow2)
{
	unsigned bits = 0;
	while ((u64{1} << bits) < pow2)
		++bits;
	return bits;
}

constexpr unsigned popcount(u64 v) { return static_cast<unsigned>(__builtin_popcountll(v)); }
constexpr unsigned lowest_bit(u64 v) { return static_cast<unsigned>(__builtin_ctzll(v)); }

// A bit field of a 64-bit word: the shift and width are the whole definition,
// the accessors are derived. Used for every packed word on the shadow stack.
template <unsigned Shift, unsigned Width> struct BitField {
	static_assert(Width > 0 && Shift + Width <= 64);
	static constexpr unsigned kShift = Shift;
	static constexpr u64 kMax = Width == 64 ? ~u64{0} : (u64{1} << Width) - 1;
	static constexpr u64 kMask = kMax << Shift;

	static constexpr u64 get(u64 word) { return (word & kMask) >> Shift; }
	static constexpr u64 put(u64 value) { return (value & kMax) << Shift; }
};

// Keep the compiler from moving memory accesses across this point. Enough
// between a task and the interrupts that nest on the same CPU.
inline void compiler_barrier() { asm volatile("" ::: "memory"); }

// Relaxed single-copy-atomic access, the kernel's READ_ONCE/WRITE_ONCE.
template <typename T> inline T read_once(const T &ref) { return __atomic_load_n(&ref, __ATOMIC_RELAXED); }
template <typename T> inline void write_once(T &ref, T value) { __atomic_store_n(&ref, value, __ATOMIC_RELAXED); }

// Compare-and-swap on a plain word that is otherwise read and written with
// read_once()/write_once(); a full barrier when it succeeds.
template <typename T> inline bool compare_exchange(T &ref, T &expected, T desired)
{
	return __atomic_compare_exchange_n(&ref, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

// Add to a per-CPU counter that interrupts and NMIs on the same CPU may also
// add to: one instruction that cannot be torn by an interrupt, no bus lock.
inline void local_add(u64 &counter, u64 v)
{
#if defined(__x86_64__)
	asm volatile("addq %1, %0" : "+m"(counter) : "er"(v));
#else
	__atomic_fetch_add(&counter, v, __ATOMIC_RELAXED);
#endif
}

// A word shared between CPUs. Constant-initialisable, so a global of it
// needs no constructor to run at module load.
template <typename T> class Atomic {
public:
	constexpr Atomic() : value_{} {}
	constexpr explicit Atomic(T v) : value_{v} {}
	Atomic(const Atomic &) = delete;
	Atomic &operator=(const Atomic &) = delete;

	T load_relaxed() const { return __atomic_load_n(&value_, __ATOMIC_RELAXED); }
	T load_acquire() const { return __atomic_load_n(&value_, __ATOMIC_ACQUIRE); }
	void store_relaxed(T v) { __atomic_store_n(&value_, v, __ATOMIC_RELAXED); }
	void store_release(T v) { __atomic_store_n(&value_, v, __ATOMIC_RELEASE); }
	T fetch_add(T v) { return __atomic_fetch_add(&value_, v, __ATOMIC_SEQ_CST); }
	T fetch_or(T v) { return __atomic_fetch_or(&value_, v, __ATOMIC_SEQ_CST); }
	T fetch_and(T v) { return __atomic_fetch_and(&value_, v, __ATOMIC_SEQ_CST); }
	bool compare_exchange(T &expected, T desired)
	{
		return __atomic_compare_exchange_n(&value_, &expected, desired, false, __ATOMIC_SEQ_CST,
						   __ATOMIC_RELAXED);
	}

private:
	T value_;
};

// Bytes the engine holds, counted at every allocation and free it makes:
// the exact figure the statistics and the memory benchmark report.
inline constinit Atomic<u64> g_bytes_held;

// Zeroed memory of @bytes, counted.
template <typename T> T *zalloc_counted(usize bytes)
{
	void *p = mfg_k_zalloc(bytes);
	if (p)
		g_bytes_held.fetch_add(bytes);
	return static_cast<T *>(p);
}

// Free what zalloc_counted() gave, with the same @bytes.
inline void free_counted(void *p, usize bytes)
{
	if (!p)
		return;
	mfg_k_free(p);
	g_bytes_held.fetch_add(~u64{0} * bytes);
}

// Scope guards for the kernel's non-preemptible and RCU read-side sections.
class PreemptGuard {
public:
	PreemptGuard() { mfg_k_preempt_disable(); }
	~PreemptGuard() { mfg_k_preempt_enable(); }
	PreemptGuard(const PreemptGuard &) = delete;
	PreemptGuard &operator=(const PreemptGuard &) = delete;
};

class RcuReadGuard {
public:
	RcuReadGuard() { mfg_k_rcu_read_lock(); }
	~RcuReadGuard() { mfg_k_rcu_read_unlock(); }
	RcuReadGuard(const RcuReadGuard &) = delete;
	RcuReadGuard &operator=(const RcuReadGuard &) = delete;
};

} // namespace mfg::ktl

#endif // MFG_KTL_H
