// SPDX-License-Identifier: GPL-2.0
//
// The per-task shadow stack: one frame per traced call whose return some user
// asked for.
//
// A shadow stack is one fixed block (a page by default) that is an empty
// stack when all its bytes are zero, so the kernel can hand out zeroed pages
// and never run a constructor:
//
//   +-------------------------------+
//   | top          u32              |  first free word of words[]
//   | depth        u32              |  frames on the stack, one being built included
//   | overflows    u32              |  frames or entries refused for lack of room
//   | deepest      u32              |  the largest depth ever reached
//   | builder      pointer          |  innermost frame being built, or null
//   | frame_start  u16[kMaxDepth]   |  word index in words[] where frame d begins
//   | words        u64[kWords]      |
//   +-------------------------------+
//
// One frame in words[], growing upward:
//
//   frame_start[d] -> +---------------------------+
//                     | ret_addr                  | original return address
//                     | func                      | the traced function
//                     | calltime                  | clock at entry, ns (0: no user wants times)
//                     | retp                      | the slot whose return address was swapped
//                     +---------------------------+
//                     | index entry of user A     | see IndexEntry below
//                     | A's data words (0..32)    |
//                     +---------------------------+
//                     | index entry of user B     |
//                     | B's data words            |
//                     +---------------------------+
//   frame_start[d+1] (or top, for the top frame)
//
// An index entry word:
//
//    63      56 55                      16 15        8 7         0
//   +----------+--------------------------+-----------+-----------+
//   |  magic   | slot generation at push  | data words|   slot    |
//   +----------+--------------------------+-----------+-----------+
//
// Interrupts and NMIs nest on the interrupted task's stack. Everything they
// push is popped before the interrupted code runs again, so the stack stays
// LIFO as long as space is claimed (top, depth) before it is written, and
// released only after it was read; the barriers below say where.
#ifndef MFG_SHADOW_STACK_H
#define MFG_SHADOW_STACK_H

#include "ktl.h"
#include "../include/mfgraph_abi.h"

namespace mfg {

using ktl::u16;
using ktl::u32;
using ktl::u64;
using ktl::usize;

struct IndexEntry {
	using Slot = ktl::BitField<0, 8>;
	using DataWords = ktl::BitField<8, 8>;
	using Generation = ktl::BitField<16, 40>;
	using Magic = ktl::BitField<56, 8>;
	static constexpr u64 kMagic = 0xa5;

	static constexpr u64 encode(u32 slot, u64 generation, u32 data_words)
	{
		return Magic::put(kMagic) | Generation::put(generation) | DataWords::put(data_words) |
		       Slot::put(slot);
	}
	static constexpr bool is_entry(u64 word) { return Magic::get(word) == kMagic; }
	static constexpr u32 slot(u64 word) { return static_cast<u32>(Slot::get(word)); }
	static constexpr u32 data_words(u64 word) { return static_cast<u32>(DataWords::get(word)); }
	static constexpr u64 generation(u64 word) { return Generation::get(word); }
};

static_assert(MFG_MAX_DATA_WORDS <= IndexEntry::DataWords::kMax);

// What the entry hook knows about a call before any user sees it.
struct FrameHeader {
	u64 ret_addr;
	u64 func;
	u64 calltime;
	u64 retp;
};

inline constexpr u32 kHeaderWords = 4;
inline constexpr u32 kMinFrameWords = kHeaderWords + 1;

// One user's index entry inside a frame, as found by the return side.
struct EntryView {
	u32 slot;
	u64 generation;
	u64 *data;
	u32 data_words;
};

// A read view of one frame, valid until that frame is popped.
class FrameView {
public:
	constexpr FrameView() = default;
	constexpr FrameView(u64 *words, u32 begin, u32 end) : words_{words}, begin_{begin}, end_{end} {}

	bool present() const { return words_ != nullptr; }
	u64 ret_addr() const { return words_[begin_ + 0]; }
	u64 func() const { return words_[begin_ + 1]; }
	u64 calltime() const { return words_[begin_ + 2]; }
	u64 retp() const { return words_[begin_ + 3]; }
	u32 size_words() const { return end_ - begin_; }

	// Step through the index entries in push order: start with
	// *@pos = first_entry(); each call fills *@e and advances *@pos.
	// False at the end, or at a corrupt word (then *@pos is not end()).
	u32 first_entry() const { return begin_ + kHeaderWords; }
	u32 end() const { return end_; }
	bool next_entry(u32 *pos, EntryView *e) const
	{
		const u32 i = *pos;
		if (i >= end_)
			return false;
		const u64 word = words_[i];
		const u32 n = IndexEntry::data_words(word);
		if (!IndexEntry::is_entry(word) || n > MFG_MAX_DATA_WORDS || i + 1 + n > end_)
			return false;
		e->slot = IndexEntry::slot(word);
		e->generation = IndexEntry::generation(word);
		e->data = &words_[i + 1];
		e->data_words = n;
		*pos = i + 1 + n;
		return true;
	}

	// Call fn(EntryView) for each index entry, in push order. Returns false
	// (after visiting the well-formed prefix) if the frame is corrupt.
	template <typename Fn> bool for_each_entry(Fn &&fn) const
	{
		u32 pos = first_entry();
		EntryView e;
		while (next_entry(&pos, &e))
			fn(e);
		return pos == end_;
	}

	// The entry of @slot in this frame, if the frame holds one.
	bool find_entry(u32 slot, EntryView *out) const
	{
		bool found = false;
		for_each_entry([&](const EntryView &e) {
			if (!found && e.slot == slot) {
				*out = e;
				found = true;
			}
		});
		return found;
	}

	// Every frame holds at least one well-formed entry.
	bool well_formed() const
	{
		u32 entries = 0;
		return size_words() > kHeaderWords && for_each_entry([&](const EntryView &) { ++entries; }) &&
		       entries > 0;
	}

private:
	u64 *words_ = nullptr;
	u32 begin_ = 0;
	u32 end_ = 0;
};

template <usize Bytes = MFG_SHADOW_STACK_BYTES> class ShadowStack {
	static constexpr usize kControlBytes = 4 * sizeof(u32) + sizeof(void *);

public:
	// Enough frame_start slots that the words run out first for minimal frames.
	static constexpr usize kFrameCost = sizeof(u16) + kMinFrameWords * sizeof(u64);
	static constexpr u32 kMaxDepth = (Bytes - kControlBytes + kFrameCost - 1) / kFrameCost;
	static constexpr u32 kWords = (Bytes - kControlBytes - kMaxDepth * sizeof(u16)) / sizeof(u64);
	static_assert(kMaxDepth >= 1 && kWords <= 0xffff, "shadow stack size out of range");
	static_assert(kControlBytes + kMaxDepth * sizeof(u16) + kWords * sizeof(u64) <= Bytes);

	class Builder;

	u32 depth() const { return ktl::read_once(depth_); }
	u32 top() const { return ktl::read_once(top_); }
	u32 overflows() const { return ktl::read_once(overflows_); }
	u32 deepest() const { return ktl::read_once(deepest_); }
	bool empty() const { return depth() == 0; }

	// Frame @d (0 = outermost). Walk from the top with d = depth() - 1 down to 0.
	FrameView frame(u32 d)
	{
		const u32 n = depth();
		if (d >= n)
			return {};
		const u32 end = d + 1 < n ? frame_start_[d + 1] : top();
		return FrameView{words_, frame_start_[d], end};
	}
	FrameView top_frame() { return depth() ? frame(depth() - 1) : FrameView{}; }

	// Drop the top frame; read everything needed from it first.
	void pop()
	{
		const u32 d = depth() - 1;
		// Read where the frame starts before unpublishing it: once depth
		// is d, an interrupt may push a frame of its own at index d and
		// overwrite frame_start[d].
		const u32 start = ktl::read_once(frame_start_[d]);
		ktl::compiler_barrier();
		// Unpublish the frame before giving its words back: an interrupt
		// arriving in between then pushes above it, never onto it.
		ktl::write_once(depth_, d);
		ktl::compiler_barrier();
		ktl::write_once(top_, start);
	}

	// Settle a return identified by @key (the retp recorded at entry)
	// before it is delivered: normally it belongs to the top frame. If it
	// belongs to one further down, the frames above it were abandoned
	// (their functions never returned through the trampoline) and are
	// dropped. Returns how many were dropped, or -1 when no frame matches,
	// in which case nothing changes.
	int settle_return(u64 key)
	{
		const u32 d = depth();
		for (u32 i = d; i-- > 0;) {
			if (frame(i).retp() != key)
				continue;
			while (depth() > i + 1)
				pop();
			return static_cast<int>(d - 1 - i);
		}
		return -1;
	}

	// Data for the user whose entry is being built by the innermost builder;
	// what mfg_reserve_data() calls. Null outside an entry callback.
	u64 *reserve_data(u32 words) { return builder_ ? builder_->reserve(words) : nullptr; }
	Builder *builder() const { return builder_; }

private:
	bool claim_words(u32 n)
	{
		const u32 t = top();
		if (t + n > kWords)
			return false;
		// Claim before writing: an interrupt nesting after this point
		// pushes above the claimed words, never onto them.
		ktl::write_once(top_, t + n);
		ktl::compiler_barrier();
		return true;
	}

	void refuse() { ktl::write_once(overflows_, overflows() + 1); }

	u32 top_;
	u32 depth_;
	u32 overflows_;
	u32 deepest_;
	Builder *builder_;
	u16 frame_start_[kMaxDepth];
	u64 words_[kWords];
};

// Builds one frame on the calling context's stack. Scoped: a builder that is
// destroyed before finish() kept its frame discards it, so an early return on
// the entry path can never leave a half-built frame behind.
template <usize Bytes> class ShadowStack<Bytes>::Builder {
public:
	Builder(ShadowStack &stack, const FrameHeader &header) : stack_{stack}, prev_{stack.builder_}
	{
		const u32 d = stack.depth();
		index_ = d;
		start_ = stack.top();
		if (d >= kMaxDepth || start_ + kMinFrameWords > kWords) {
			stack.refuse();
			return;
		}
		// Mark frame d as under construction first: walkers skip it.
		stack.builder_ = this;
		ktl::compiler_barrier();
		// Claim the words, then the frame index. An interrupt before the
		// index is ours pushes at index d itself, but above our words, and
		// is gone again before we write frame_start[d] below; one after
		// it pushes at d + 1.
		stack.claim_words(kHeaderWords);
		ktl::write_once(stack.depth_, d + 1);
		ktl::compiler_barrier();
		ktl::write_once(stack.frame_start_[d], static_cast<u16>(start_));
		u64 *h = &stack.words_[start_];
		h[0] = header.ret_addr;
		h[1] = header.func;
		h[2] = header.calltime;
		h[3] = header.retp;
		if (d + 1 > stack.deepest())
			ktl::write_once(stack.deepest_, d + 1);
		open_ = true;
	}

	~Builder()
	{
		if (open_)
			discard();
	}

	Builder(const Builder &) = delete;
	Builder &operator=(const Builder &) = delete;

	// False when the stack had no room for the frame (counted as an overflow).
	bool ok() const { return open_; }
	u32 entries() const { return entries_; }
	// The builder this one interrupted (an interrupt's entry nested in
	// another entry), or null.
	const Builder *previous() const { return prev_; }
	// The index of the frame being built (its depth once kept).
	u32 frame_index() const { return index_; }
	// The slot whose entry is open, or -1.
	int open_slot() const
	{
		return entry_ == kNoEntry ? -1 : static_cast<int>(IndexEntry::slot(stack_.words_[entry_]));
	}

	// Start @slot's index entry; the user may then reserve() data for it.
	bool open_entry(u32 slot, u64 generation)
	{
		if (!open_ || entry_ != kNoEntry)
			return false;
		return begin_entry(slot, generation);
	}

	// open_entry() for a caller that knows the frame is kept open (ok())
	// and no entry is open: the tracing path's loop over its users.
	bool begin_entry(u32 slot, u64 generation)
	{
		const u32 at = stack_.top();
		if (!stack_.claim_words(1)) {
			stack_.refuse();
			return false;
		}
		stack_.words_[at] = IndexEntry::encode(slot, generation, 0);
		entry_ = at;
		return true;
	}

	// Append @words data words to the open entry. Null when there is no open
	// entry, the entry would exceed MFG_MAX_DATA_WORDS, or the stack is full.
	u64 *reserve(u32 words)
	{
		if (entry_ == kNoEntry || words == 0)
			return nullptr;
		u64 &index = stack_.words_[entry_];
		const u32 have = IndexEntry::data_words(index);
		if (words > MFG_MAX_DATA_WORDS - have)
			return nullptr;
		const u32 at = stack_.top();
		if (!stack_.claim_words(words))
			return nullptr;
		index = IndexEntry::encode(IndexEntry::slot(index), IndexEntry::generation(index), have + words);
		return &stack_.words_[at];
	}

	// Keep the open entry (the user wants its return) or give its words back.
	void close_entry(bool keep)
	{
		if (entry_ != kNoEntry)
			end_entry(keep);
	}

	// close_entry() for a caller that knows an entry is open.
	void end_entry(bool keep)
	{
		if (keep)
			++entries_;
		else
			ktl::write_once(stack_.top_, entry_);
		entry_ = kNoEntry;
	}

	// Keep the frame if any user kept an entry; otherwise discard it.
	// Returns whether the frame stays on the stack.
	bool finish()
	{
		if (!open_)
			return false;
		close_entry(false);
		if (entries_ == 0) {
			discard();
			return false;
		}
		stack_.builder_ = prev_;
		open_ = false;
		return true;
	}

private:
	static constexpr u32 kNoEntry = ~u32{0};

	void discard()
	{
		entry_ = kNoEntry;
		stack_.builder_ = prev_;
		stack_.pop();
		open_ = false;
	}

	ShadowStack &stack_;
	Builder *prev_;
	u32 start_ = 0;
	u32 index_ = 0;
	u32 entry_ = kNoEntry;
	u32 entries_ = 0;
	bool open_ = false;
};

} // namespace mfg

#endif // MFG_SHADOW_STACK_H
