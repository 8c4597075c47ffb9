// SPDX-License-Identifier: GPL-2.0
//
// Scenarios for the engine core: the shadow stack, the registry and its
// generations, return dispatch and the function map. The same file runs on
// the host (GoogleTest, tests/host/) and inside the kernel (KUnit,
// tests/kunit/), compiled with the kernel's own flags.
#include "check.h"

#include "../../fgraph/func_map.h"
#include "../../fgraph/registry.h"
#include "../../fgraph/shadow_stack.h"

namespace mfg::test {
namespace {

using ktl::u32;
using ktl::u64;

// A zeroed heap object (a shadow stack is too big for a kernel stack frame).
template <typename T> class Zeroed {
public:
	Zeroed() : p_{static_cast<T *>(mfg_k_zalloc(sizeof(T)))} {}
	~Zeroed() { mfg_k_free(p_); }
	Zeroed(const Zeroed &) = delete;
	Zeroed &operator=(const Zeroed &) = delete;
	bool ok() const { return p_ != nullptr; }
	T &operator*() { return *p_; }
	T *operator->() { return p_; }

private:
	T *p_;
};

using Stack = ShadowStack<>;
using SmallStack = ShadowStack<512>;

constexpr FrameHeader header_for(u64 n)
{
	return FrameHeader{0x1000 + n, 0x2000 + n, 0x3000 + n, 0x4000 + n};
}

// Push a frame with one entry for @slot at @generation, @words data words
// filled with @fill. Returns whether the frame stayed.
template <typename S> bool push_one(S &st, u64 n, u32 slot, u64 generation, u32 words = 0, u64 fill = 0)
{
	typename S::Builder b(st, header_for(n));
	if (!b.ok() || !b.open_entry(slot, generation))
		return false;
	if (words) {
		u64 *d = st.reserve_data(words);
		if (!d)
			return false;
		for (u32 i = 0; i < words; i++)
			d[i] = fill + i;
	}
	b.close_entry(true);
	return b.finish();
}

void frame_push_pop(mfg_check &c)
{
	Zeroed<Stack> st;
	if (!expect(c, st.ok(), "allocated a stack"))
		return;
	expect(c, st->empty() && st->top() == 0, "a zeroed stack is empty");
	expect(c, push_one(*st, 7, 3, 5, 2, 100), "push one frame");
	expect(c, st->depth() == 1, "depth 1 after push");
	FrameView f = st->top_frame();
	expect(c, f.present() && f.well_formed(), "top frame present and well formed");
	expect(c, f.ret_addr() == 0x1007 && f.func() == 0x2007, "header ret_addr and func");
	expect(c, f.calltime() == 0x3007 && f.retp() == 0x4007, "header calltime and retp");
	expect(c, f.size_words() == kHeaderWords + 1 + 2, "frame is header + entry + 2 data words");
	EntryView e{};
	expect(c, f.find_entry(3, &e), "entry of slot 3 found");
	expect(c, e.generation == 5 && e.data_words == 2, "entry generation and size");
	expect(c, e.data[0] == 100 && e.data[1] == 101, "entry data round trip");
	expect(c, !f.find_entry(4, &e), "no entry for slot 4");
	st->pop();
	expect(c, st->empty() && st->top() == 0, "pop returns to empty");
	expect(c, st->deepest() == 1 && st->overflows() == 0, "statistics");
}

void nesting_is_lifo(mfg_check &c)
{
	Zeroed<Stack> st;
	if (!expect(c, st.ok(), "allocated a stack"))
		return;
	constexpr u32 kDepth = 20;
	for (u32 i = 0; i < kDepth; i++)
		expect(c, push_one(*st, i, i % 4, 1, i % 3, i * 1000), "push nested frame");
	expect(c, st->depth() == kDepth, "depth counts every frame");
	// Walk from the top, as the unwinder API will.
	bool order = true;
	for (u32 d = kDepth; d-- > 0;) {
		FrameView f = st->frame(d);
		EntryView e{};
		order &= f.well_formed() && f.func() == 0x2000 + d && f.find_entry(d % 4, &e) &&
			 e.data_words == d % 3 && (e.data_words == 0 || e.data[0] == d * 1000);
	}
	expect(c, order, "walk from the top sees every frame intact");
	expect(c, !st->frame(kDepth).present(), "no frame above the top");
	for (u32 d = kDepth; d-- > 0;) {
		expect(c, st->top_frame().func() == 0x2000 + d, "pop order is LIFO");
		st->pop();
	}
	expect(c, st->empty() && st->top() == 0, "empty after popping all");
	expect(c, st->deepest() == kDepth, "deepest seen");
}

void overflow_at_exact_capacity(mfg_check &c)
{
	Zeroed<SmallStack> st;
	if (!expect(c, st.ok(), "allocated a stack"))
		return;
	// Minimal frames (a header and one index word each) until refused; the
	// refusal must come from a documented limit: kMaxDepth frames, or too
	// few words left for one more. Bounded: a wrong limit fails, not hangs.
	u32 pushed = 0;
	while (pushed <= SmallStack::kMaxDepth && push_one(*st, pushed, 0, 1))
		++pushed;
	const u32 fit = pushed;
	expect(c, pushed <= SmallStack::kMaxDepth, "never more than kMaxDepth frames");
	expect(c, st->top() == pushed * kMinFrameWords, "each minimal frame took its words");
	expect(c, pushed == SmallStack::kMaxDepth || SmallStack::kWords - st->top() < kMinFrameWords,
	       "refused only at a limit");
	expect(c, st->overflows() == 1, "the refused frame is counted");
	const u32 top = st->top();
	expect(c, !push_one(*st, 99, 0, 1), "still refused");
	expect(c, st->overflows() == 2 && st->top() == top && st->depth() == fit, "refusal changes nothing");
	bool intact = true;
	for (u32 d = 0; d < fit; d++)
		intact &= st->frame(d).func() == 0x2000 + d && st->frame(d).well_formed();
	expect(c, intact, "frames below the refusal are intact");
	while (!st->empty())
		st->pop();
	expect(c, st->top() == 0, "all space given back");

	// Fill words to the last one with data and check the boundary exactly.
	const u32 room = SmallStack::kWords - kHeaderWords - 1;
	const u32 big = ktl::min<u32>(room, MFG_MAX_DATA_WORDS);
	u32 frames = 0;
	while (st->top() + kHeaderWords + 1 + big <= SmallStack::kWords && frames < SmallStack::kMaxDepth)
		if (!expect(c, push_one(*st, frames++, 1, 1, big, 7), "full-data frame fits"))
			break;
	const u32 left = SmallStack::kWords - st->top();
	if (left >= kMinFrameWords) {
		expect(c, push_one(*st, 500, 1, 1, left - kMinFrameWords, 1), "the last words fit exactly");
		expect(c, st->top() == SmallStack::kWords, "stack is exactly full");
	}
	expect(c, !push_one(*st, 501, 1, 1), "a full stack refuses");
}

void data_reservation_limits(mfg_check &c)
{
	Zeroed<Stack> st;
	if (!expect(c, st.ok(), "allocated a stack"))
		return;
	expect(c, st->reserve_data(1) == nullptr, "no reservation outside an entry callback");
	{
		Stack::Builder b(*st, header_for(1));
		expect(c, st->reserve_data(1) == nullptr, "no reservation before an entry is open");
		expect(c, b.open_entry(2, 1), "open entry");
		expect(c, st->reserve_data(0) == nullptr, "zero words refused");
		expect(c, st->reserve_data(MFG_MAX_DATA_WORDS + 1) == nullptr, "over the limit refused");
		u64 *a = st->reserve_data(MFG_MAX_DATA_WORDS - 1);
		expect(c, a != nullptr, "up to the limit in one go");
		u64 *z = st->reserve_data(1);
		expect(c, z != nullptr && a && z == a + MFG_MAX_DATA_WORDS - 1, "a second reservation extends the first");
		expect(c, st->reserve_data(1) == nullptr, "the limit counts both reservations");
		b.close_entry(true);
		expect(c, st->reserve_data(1) == nullptr, "no reservation after the entry closed");
		expect(c, b.finish(), "frame kept");
	}
	EntryView e{};
	expect(c, st->top_frame().find_entry(2, &e) && e.data_words == MFG_MAX_DATA_WORDS, "entry holds the limit");
	expect(c, st->reserve_data(1) == nullptr, "no reservation once the frame is finished");
	st->pop();
}

void several_users_in_one_frame(mfg_check &c)
{
	Zeroed<Stack> st;
	if (!expect(c, st.ok(), "allocated a stack"))
		return;
	{
		Stack::Builder b(*st, header_for(9));
		for (u32 slot = 0; slot < 5; slot++) {
			expect(c, b.open_entry(slot, 2 * slot + 1), "open entry");
			const u32 words = slot + 1;
			u64 *d = st->reserve_data(words);
			if (expect(c, d != nullptr, "reserve"))
				for (u32 i = 0; i < words; i++)
					d[i] = slot * 100 + i;
			// Slot 2 declines its return: its words must vanish.
			b.close_entry(slot != 2);
		}
		expect(c, b.entries() == 4, "four users kept their entry");
		expect(c, b.finish(), "frame kept");
	}
	FrameView f = st->top_frame();
	expect(c, f.size_words() == kHeaderWords + (1 + 1) + (1 + 2) + (1 + 4) + (1 + 5), "declined words reclaimed");
	u32 seen = 0;
	bool own_bytes = true;
	u32 order[5] = {};
	f.for_each_entry([&](const EntryView &e) {
		order[seen++] = e.slot;
		own_bytes &= e.data_words == e.slot + 1 && e.generation == 2 * e.slot + 1;
		for (u32 i = 0; i < e.data_words; i++)
			own_bytes &= e.data[i] == e.slot * 100 + i;
	});
	expect(c, seen == 4 && own_bytes, "each user gets exactly its own data");
	expect(c, order[0] == 0 && order[1] == 1 && order[2] == 3 && order[3] == 4, "entries in push order");
	st->pop();
	expect(c, st->empty() && st->top() == 0, "empty");
}

void unwanted_frames_leave_nothing(mfg_check &c)
{
	Zeroed<Stack> st;
	if (!expect(c, st.ok(), "allocated a stack"))
		return;
	expect(c, push_one(*st, 1, 0, 1), "base frame");
	const u32 top = st->top();
	{
		Stack::Builder b(*st, header_for(2));
		b.open_entry(1, 1);
		st->reserve_data(4);
		b.close_entry(false);
		expect(c, !b.finish(), "no user kept an entry: frame dropped");
	}
	expect(c, st->depth() == 1 && st->top() == top, "stack as before");
	{
		Stack::Builder b(*st, header_for(3));
		b.open_entry(1, 1);
		st->reserve_data(3);
		// Leaves scope without finish(): an early return on the entry path.
	}
	expect(c, st->depth() == 1 && st->top() == top && st->builder() == nullptr, "abandoned builder discards");
	expect(c, st->top_frame().func() == 0x2001, "base frame untouched");
	st->pop();
}

void interrupt_nests_inside_entry_callback(mfg_check &c)
{
	Zeroed<Stack> st;
	if (!expect(c, st.ok(), "allocated a stack"))
		return;
	Stack::Builder outer(*st, header_for(1));
	outer.open_entry(0, 1);
	u64 *mine = st->reserve_data(2);
	if (!expect(c, mine != nullptr, "outer reserve"))
		return;
	mine[0] = 11;
	mine[1] = 12;
	// An interrupt arrives while the outer user's entry callback runs, and
	// traces a function of its own on the same stack.
	{
		Stack::Builder inner(*st, header_for(2));
		expect(c, st->builder() == &inner, "reserve routes to the innermost builder");
		inner.open_entry(5, 3);
		u64 *theirs = st->reserve_data(3);
		expect(c, theirs != nullptr && theirs > mine + 1, "inner data above outer data");
		if (theirs)
			theirs[0] = theirs[1] = theirs[2] = 99;
		inner.close_entry(true);
		expect(c, inner.finish(), "inner frame kept");
		expect(c, st->depth() == 2, "inner frame above outer");
		EntryView e{};
		expect(c, st->top_frame().find_entry(5, &e) && e.data_words == 3, "inner entry");
		st->pop(); // the interrupted function returns before the interrupt does
	}
	expect(c, st->builder() == &outer, "outer builder restored");
	u64 *more = st->reserve_data(1);
	expect(c, more == mine + 2, "outer reservation continues where it stopped");
	if (more)
		*more = 13;
	outer.close_entry(true);
	expect(c, outer.finish(), "outer frame kept");
	EntryView e{};
	expect(c, st->top_frame().find_entry(0, &e) && e.data_words == 3 && e.data[0] == 11 && e.data[1] == 12 &&
			  e.data[2] == 13,
	       "outer data intact after the interrupt");
	st->pop();
	expect(c, st->empty() && st->top() == 0, "empty");
}

void abandoned_frames_are_dropped(mfg_check &c)
{
	Zeroed<Stack> st;
	if (!expect(c, st.ok(), "allocated a stack"))
		return;
	for (u64 n = 0; n < 4; n++)
		expect(c, push_one(*st, n, 0, 1), "push");
	// header_for(n) records retp 0x4000 + n.
	expect(c, st->settle_return(0x4003) == 0, "the top frame's return drops nothing");
	expect(c, st->depth() == 4, "nothing dropped");
	expect(c, st->settle_return(0x9999) == -1, "a return matching no frame is refused");
	expect(c, st->depth() == 4 && st->top_frame().retp() == 0x4003, "and changes nothing");
	// Frames 2 and 3 never returned (their functions unwound past the trampoline).
	expect(c, st->settle_return(0x4001) == 2, "two abandoned frames dropped");
	expect(c, st->depth() == 2 && st->top_frame().retp() == 0x4001, "the return's own frame is on top");
	expect(c, st->top_frame().well_formed() && st->frame(0).well_formed(), "what is left is intact");
	st->pop();
	st->pop();
	expect(c, st->empty() && st->top() == 0, "all space given back");
}

void registry_slots(mfg_check &c)
{
	Zeroed<Registry<>> reg;
	if (!expect(c, reg.ok(), "allocated a registry"))
		return;
	static char owners[MFG_MAX_USERS + 1];
	for (u32 i = 0; i < MFG_MAX_USERS; i++)
		expect(c, reg->claim(&owners[i]) == static_cast<int>(i), "slots handed out in order");
	expect(c, reg->claim(&owners[MFG_MAX_USERS]) == -ktl::err::kNoSpc, "one past the last slot: -ENOSPC");
	expect(c, reg->claim(&owners[0]) == -ktl::err::kBusy, "registered twice: -EBUSY");
	expect(c, reg->claim(nullptr) == -ktl::err::kInval, "no owner: -EINVAL");
	const u64 all = MFG_MAX_USERS == 64 ? ~u64{0} : (u64{1} << MFG_MAX_USERS) - 1;
	expect(c, reg->live_mask() == all, "every slot live");
	expect(c, reg->generation(3) == 1 && reg->owner(3) == &owners[3], "first generation is 1");
	reg->retire(3);
	expect(c, !reg->is_live(3) && reg->generation(3) == 2, "retired: generation even");
	expect(c, reg->claim(&owners[MFG_MAX_USERS]) == -ktl::err::kNoSpc, "a retired slot is not reusable yet");
	reg->release(3);
	expect(c, reg->slot_of(&owners[3]) < 0, "released slot has no owner");
	expect(c, reg->claim(&owners[MFG_MAX_USERS]) == 3, "released slot reused");
	expect(c, reg->generation(3) == 3, "reuse advances the generation again");
}

void stale_after_unregister(mfg_check &c)
{
	Zeroed<Stack> st;
	Zeroed<Registry<>> reg;
	if (!expect(c, st.ok() && reg.ok(), "allocated"))
		return;
	static char a, b;
	const int sa = reg->claim(&a);
	const int sb = reg->claim(&b);
	expect(c, push_one(*st, 1, sa, reg->generation(sa)), "frame for a");
	{
		Stack::Builder f(*st, header_for(2));
		f.open_entry(sa, reg->generation(sa));
		f.close_entry(true);
		f.open_entry(sb, reg->generation(sb));
		f.close_entry(true);
		f.finish();
	}
	reg->retire(sa); // a unregisters while both frames are pending
	u32 stale = 0;
	u32 got_b = 0;
	u32 delivered = dispatch_returns(st->top_frame(), *reg, &stale, [&](u32 slot, const EntryView &) {
		got_b += slot == static_cast<u32>(sb);
	});
	expect(c, delivered == 1 && got_b == 1 && stale == 1, "only the live user gets its return");
	st->pop();
	delivered = dispatch_returns(st->top_frame(), *reg, &stale, [&](u32, const EntryView &) {});
	expect(c, delivered == 0 && stale == 2, "an unregistered user gets nothing");
	st->pop();
}

void stale_after_slot_reuse(mfg_check &c)
{
	Zeroed<Stack> st;
	Zeroed<Registry<>> reg;
	if (!expect(c, st.ok() && reg.ok(), "allocated"))
		return;
	static char old_user, new_user;
	const int s = reg->claim(&old_user);
	expect(c, push_one(*st, 1, s, reg->generation(s)), "frame of the old user");
	reg->release(s);
	expect(c, reg->claim(&new_user) == s, "the new user takes the same slot");
	u32 stale = 0;
	const u32 delivered = dispatch_returns(st->top_frame(), *reg, &stale, [](u32, const EntryView &) {});
	expect(c, delivered == 0 && stale == 1, "the new user never sees the old user's return");
	st->pop();
	expect(c, push_one(*st, 2, s, reg->generation(s)), "frame of the new user");
	expect(c, dispatch_returns(st->top_frame(), *reg, &stale, [](u32, const EntryView &) {}) == 1,
	       "the new user's own return is delivered");
	st->pop();
}

void generation_wraparound(mfg_check &c)
{
	Zeroed<Stack> st;
	Zeroed<Registry<>> reg;
	if (!expect(c, st.ok() && reg.ok(), "allocated"))
		return;
	constexpr u64 kMax = Registry<>::kGenerationMask;
	static char a, b;
	expect(c, reg->seed_generation(0, kMax - 1), "seed the counter just below the wrap");
	expect(c, reg->claim(&a) == 0 && reg->generation(0) == kMax, "the last live generation before the wrap");
	expect(c, IndexEntry::generation(IndexEntry::encode(0, kMax, 0)) == kMax, "the entry holds all 40 bits");
	expect(c, push_one(*st, 1, 0, reg->generation(0)), "frame at the top generation");
	expect(c, reg->is_current(0, kMax), "current before the wrap");
	reg->release(0);
	expect(c, reg->generation(0) == 0 && !reg->is_live(0), "the counter wraps to 0, not live");
	expect(c, reg->claim(&b) == 0 && reg->generation(0) == 1, "next user gets generation 1");
	u32 stale = 0;
	expect(c, dispatch_returns(st->top_frame(), *reg, &stale, [](u32, const EntryView &) {}) == 0 && stale == 1,
	       "a pre-wrap entry is stale after the wrap");
	st->pop();
	expect(c, !reg->is_current(0, kMax + 2), "bits beyond the field do not alias a live generation");
}

void dispatch_mixed_live_and_stale(mfg_check &c)
{
	Zeroed<Stack> st;
	Zeroed<Registry<>> reg;
	if (!expect(c, st.ok() && reg.ok(), "allocated"))
		return;
	static char users[6];
	for (char &u : users)
		reg->claim(&u);
	{
		Stack::Builder f(*st, header_for(1));
		for (u32 s = 0; s < 6; s++) {
			f.open_entry(s, reg->generation(s));
			u64 *d = st->reserve_data(1);
			if (d)
				*d = 40 + s;
			f.close_entry(true);
		}
		f.finish();
	}
	reg->retire(1);
	reg->release(4);
	reg->claim(&users[4]); // same owner, new generation: still stale
	u32 stale = 0;
	u32 seq[6] = {};
	u32 n = 0;
	bool data_ok = true;
	dispatch_returns(st->top_frame(), *reg, &stale, [&](u32 slot, const EntryView &e) {
		seq[n++] = slot;
		data_ok &= e.data_words == 1 && e.data[0] == 40 + slot;
	});
	expect(c, n == 4 && stale == 2, "four delivered, two stale");
	expect(c, seq[0] == 0 && seq[1] == 2 && seq[2] == 3 && seq[3] == 5, "live users in push order");
	expect(c, data_ok, "each delivered user sees its data");
	st->pop();
}

void corrupt_frame_detected(mfg_check &c)
{
	Zeroed<Stack> st;
	if (!expect(c, st.ok(), "allocated"))
		return;
	expect(c, push_one(*st, 1, 2, 1, 2, 5), "frame");
	FrameView f = st->top_frame();
	expect(c, f.well_formed(), "well formed before");
	// Overwrite the index entry with junk.
	EntryView e{};
	f.find_entry(2, &e);
	u64 *index = e.data - 1;
	const u64 saved = *index;
	*index = 0x1234;
	u32 visited = 0;
	expect(c, !f.for_each_entry([&](const EntryView &) { ++visited; }) && visited == 0, "junk entry refused");
	expect(c, !f.well_formed(), "frame reported corrupt");
	*index = IndexEntry::encode(2, 1, 60);
	expect(c, !f.well_formed(), "entry running past its frame refused");
	*index = saved;
	expect(c, f.well_formed(), "restored");
	st->pop();
}

void func_map_lookup(mfg_check &c)
{
	static const u64 a_ips[] = {0x1000, 0x2000, 0x3000, 0x2000};
	static const u64 b_ips[] = {0x2000, 0x4000};
	const UserFilter filters[] = {
		{0, false, a_ips, 4},
		{3, false, b_ips, 2},
		{5, true, nullptr, 0},
	};
	int err = 1;
	FuncMap *m = FuncMap::create(filters, 3, &err);
	if (!expect(c, m != nullptr && err == 0, "map built"))
		return;
	const UserMask all = UserMask{1} << 5;
	expect(c, m->size() == 4, "duplicates merged");
	expect(c, m->users_for(0x1000) == (1 | all), "a only");
	expect(c, m->users_for(0x2000) == (1 | 8 | all), "a and b");
	expect(c, m->users_for(0x4000) == (8 | all), "b only");
	expect(c, m->users_for(0x5000) == all, "unknown function: only the match-all user");
	FuncMap::destroy(m);

	FuncMap *empty = FuncMap::create(nullptr, 0, &err);
	expect(c, empty && err == 0 && empty->users_for(0x1000) == 0, "an empty filter traces nothing");
	FuncMap::destroy(empty);

	const u64 zero[] = {0};
	const UserFilter bad_ip[] = {{0, false, zero, 1}};
	expect(c, !FuncMap::create(bad_ip, 1, &err) && err == -ktl::err::kInval, "address 0: -EINVAL");
	const UserFilter bad_slot[] = {{MFG_MAX_USERS, false, a_ips, 1}};
	expect(c, !FuncMap::create(bad_slot, 1, &err) && err == -ktl::err::kInval, "slot out of range: -EINVAL");
}

void func_map_many_functions(mfg_check &c)
{
	constexpr u32 kFuncs = 4096;
	u64 *ips = static_cast<u64 *>(mfg_k_zalloc(kFuncs * sizeof(u64)));
	if (!expect(c, ips != nullptr, "allocated"))
		return;
	// Function-like addresses: aligned, clustered, as in a kernel text section.
	for (u32 i = 0; i < kFuncs; i++)
		ips[i] = 0xffffffff81000000ull + i * 48 + (i % 7) * 16;
	const UserFilter filters[] = {
		{0, false, ips, kFuncs},
		{1, false, ips, kFuncs / 2},
		{MFG_MAX_USERS - 1, false, ips + kFuncs / 2, kFuncs / 2},
	};
	int err = 1;
	FuncMap *m = FuncMap::create(filters, 3, &err);
	if (expect(c, m != nullptr, "map built")) {
		const UserMask last = UserMask{1} << (MFG_MAX_USERS - 1);
		bool all_found = true;
		for (u32 i = 0; i < kFuncs; i++)
			all_found &= m->users_for(ips[i]) == (i < kFuncs / 2 ? UserMask{3} : (1 | last));
		expect(c, all_found, "every function maps to exactly its users");
		expect(c, m->users_for(ips[kFuncs - 1] + 8) == 0, "no false hit between functions");
		expect(c, m->size() == kFuncs && m->capacity() >= 2 * kFuncs, "load factor at most one half");
		expect(c, m->max_probe() <= 32, "short probe sequences");
		FuncMap::destroy(m);
	}
	mfg_k_free(ips);
}

struct Scenario {
	const char *name;
	void (*run)(mfg_check &);
};

constexpr Scenario kScenarios[] = {
	{"frame_push_pop", frame_push_pop},
	{"nesting_is_lifo", nesting_is_lifo},
	{"overflow_at_exact_capacity", overflow_at_exact_capacity},
	{"data_reservation_limits", data_reservation_limits},
	{"several_users_in_one_frame", several_users_in_one_frame},
	{"unwanted_frames_leave_nothing", unwanted_frames_leave_nothing},
	{"interrupt_nests_inside_entry_callback", interrupt_nests_inside_entry_callback},
	{"abandoned_frames_are_dropped", abandoned_frames_are_dropped},
	{"registry_slots", registry_slots},
	{"stale_after_unregister", stale_after_unregister},
	{"stale_after_slot_reuse", stale_after_slot_reuse},
	{"generation_wraparound", generation_wraparound},
	{"dispatch_mixed_live_and_stale", dispatch_mixed_live_and_stale},
	{"corrupt_frame_detected", corrupt_frame_detected},
	{"func_map_lookup", func_map_lookup},
	{"func_map_many_functions", func_map_many_functions},
};

} // namespace
} // namespace mfg::test

extern "C" unsigned int mfg_core_scenario_count(void)
{
	return sizeof(mfg::test::kScenarios) / sizeof(mfg::test::kScenarios[0]);
}

extern "C" const char *mfg_core_scenario_name(unsigned int index)
{
	return index < mfg_core_scenario_count() ? mfg::test::kScenarios[index].name : nullptr;
}

extern "C" void mfg_core_scenario_run(unsigned int index, struct mfg_check *check)
{
	if (index < mfg_core_scenario_count())
		mfg::test::kScenarios[index].run(*check);
}
