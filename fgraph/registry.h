// SPDX-License-Identifier: GPL-2.0
//
// The user registry: MFG_MAX_USERS slots, each with a generation counter.
//
// A slot's generation advances on every register and every unregister, so it
// is odd exactly while a user holds the slot. Each index entry pushed on a
// shadow stack records the slot and the generation it saw; a return is
// delivered only if the slot still has that generation. A user that
// unregistered (generation now even) and a later user of the same slot
// (a different odd generation) therefore never see that entry.
//
// The generation lives in 40 bits of the index entry and wraps there. Wrapping
// keeps parity (2^40 is even), and a stale entry could only match again after
// 2^39 register/unregister cycles of one slot while its task sleeps in the
// traced call.
#ifndef MFG_REGISTRY_H
#define MFG_REGISTRY_H

#include "ktl.h"
#include "shadow_stack.h"

namespace mfg {

using UserMask = u64;

template <u32 N = MFG_MAX_USERS> class Registry {
	static_assert(N >= 1 && N <= 64, "a user mask is one 64-bit word");

public:
	static constexpr u32 kSlots = N;
	static constexpr u64 kGenerationMask = IndexEntry::Generation::kMax;

	constexpr Registry() = default;
	Registry(const Registry &) = delete;
	Registry &operator=(const Registry &) = delete;

	// Claim a free slot for @owner and make it live. Returns the slot, or
	// -EBUSY if @owner already holds one, or -ENOSPC if none is free.
	// Callers serialise claim(), retire() and release() (a mutex in the kernel).
	int claim(const void *owner)
	{
		if (!owner)
			return -ktl::err::kInval;
		if (slot_of(owner) >= 0)
			return -ktl::err::kBusy;
		for (u32 i = 0; i < N; i++) {
			if (slots_[i].owner.load_relaxed())
				continue;
			slots_[i].owner.store_relaxed(owner);
			// The owner is visible before the slot turns live: whoever
			// sees the new generation also sees who it belongs to.
			slots_[i].generation.store_release(next(slots_[i].generation.load_relaxed()));
			return static_cast<int>(i);
		}
		return -ktl::err::kNoSpc;
	}

	// Make @slot's pending entries stale. The owner keeps the slot (so it
	// cannot be reused) until release(), after the caller waited for every
	// callback that may have seen the old generation to finish.
	void retire(u32 slot)
	{
		auto &s = slots_[slot];
		if (is_odd(s.generation.load_relaxed()))
			s.generation.store_release(next(s.generation.load_relaxed()));
	}

	// Give a retired slot back for reuse.
	void release(u32 slot)
	{
		auto &s = slots_[slot];
		retire(slot);
		s.owner.store_release(nullptr);
	}

	// The generation an index entry pushed now must record.
	u64 generation(u32 slot) const { return slots_[slot].generation.load_acquire(); }

	// Does an entry that recorded (@slot, @generation) still belong to the
	// slot's current user? The whole stale-return guarantee is this test.
	bool is_current(u32 slot, u64 generation) const
	{
		if (slot >= N)
			return false;
		const u64 now = slots_[slot].generation.load_acquire();
		return is_odd(now) && now == generation;
	}

	bool is_live(u32 slot) const { return slot < N && is_odd(slots_[slot].generation.load_acquire()); }
	const void *owner(u32 slot) const { return slots_[slot].owner.load_acquire(); }

	int slot_of(const void *owner) const
	{
		for (u32 i = 0; i < N; i++)
			if (owner && slots_[i].owner.load_relaxed() == owner)
				return static_cast<int>(i);
		return -ktl::err::kNoEnt;
	}

	UserMask live_mask() const
	{
		UserMask m = 0;
		for (u32 i = 0; i < N; i++)
			if (is_live(i))
				m |= UserMask{1} << i;
		return m;
	}

	// Start @slot's counter at @generation: how tests reach the wrap point
	// without 2^40 registrations. Only on a slot nobody holds.
	bool seed_generation(u32 slot, u64 generation)
	{
		if (slot >= N || slots_[slot].owner.load_relaxed())
			return false;
		slots_[slot].generation.store_release(generation & kGenerationMask & ~u64{1});
		return true;
	}

private:
	static constexpr bool is_odd(u64 g) { return g & 1; }
	static constexpr u64 next(u64 g) { return (g + 1) & kGenerationMask; }

	struct Slot {
		ktl::Atomic<const void *> owner;
		ktl::Atomic<u64> generation;
	};
	Slot slots_[N] = {};
};

// Deliver a popped frame's returns: call @fn(slot, entry) for every index
// entry whose slot still has the generation it recorded, in push order.
// Returns how many were delivered; *@stale counts the ones skipped;
// *@complete says whether every index entry was well-formed.
template <u32 N, typename Fn>
u32 dispatch_returns(const FrameView &frame, const Registry<N> &registry, u32 *stale, Fn &&fn,
		     bool *complete = nullptr)
{
	u32 delivered = 0;
	u32 skipped = 0;
	u32 pos = frame.first_entry();
	[[gnu::uninitialized]] EntryView e;	// next_entry() fills it
	// A plain loop, not for_each_entry(): one closure fewer on the
	// return path keeps the caller's state in registers.
	while (frame.next_entry(&pos, &e)) {
		if (!registry.is_current(e.slot, e.generation)) {
			++skipped;
			continue;
		}
		fn(e.slot, e);
		++delivered;
	}
	if (stale)
		*stale += skipped;
	// A well-formed frame is read to its end; anything short of that is
	// a corrupt index entry.
	if (complete)
		*complete = pos == frame.end();
	return delivered;
}

} // namespace mfg

#endif // MFG_REGISTRY_H
