// SPDX-License-Identifier: GPL-2.0
//
// Host-only tests: the shadow stack and function map checked against plain
// std:: models over long random operation sequences, and the registry at
// every supported size.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <unordered_map>
#include <vector>

#include "../../fgraph/func_map.h"
#include "../../fgraph/registry.h"
#include "../../fgraph/shadow_stack.h"
#include "host_kernel.h"

namespace {

using mfg::u32;
using mfg::u64;

struct ModelEntry {
	u32 slot;
	u64 gen;
	std::vector<u64> data;
};
struct ModelFrame {
	mfg::FrameHeader h;
	std::vector<ModelEntry> entries;
};

template <typename S> void expect_matches(S &st, const std::vector<ModelFrame> &model)
{
	ASSERT_EQ(st.depth(), model.size());
	for (u32 d = 0; d < model.size(); d++) {
		mfg::FrameView f = st.frame(d);
		ASSERT_TRUE(f.well_formed()) << "frame " << d;
		EXPECT_EQ(f.ret_addr(), model[d].h.ret_addr);
		EXPECT_EQ(f.func(), model[d].h.func);
		EXPECT_EQ(f.calltime(), model[d].h.calltime);
		EXPECT_EQ(f.retp(), model[d].h.retp);
		size_t i = 0;
		f.for_each_entry([&](const mfg::EntryView &e) {
			ASSERT_LT(i, model[d].entries.size());
			const ModelEntry &m = model[d].entries[i++];
			EXPECT_EQ(e.slot, m.slot);
			EXPECT_EQ(e.generation, m.gen);
			ASSERT_EQ(e.data_words, m.data.size());
			for (u32 w = 0; w < e.data_words; w++)
				EXPECT_EQ(e.data[w], m.data[w]);
		});
		EXPECT_EQ(i, model[d].entries.size());
	}
}

// Push one random frame; with @nest, a nested "interrupt" frame is pushed
// and popped in the middle of building it. Mirrors the outcome in @model.
template <typename S>
void random_push(S &st, std::vector<ModelFrame> &model, std::mt19937_64 &rng, bool nest, u32 &refusals)
{
	ModelFrame mf{{rng(), rng() | 1, rng(), rng()}, {}};
	// The documented limits: at most kMaxDepth frames, each at least a
	// header and one index word, within kWords.
	const bool frame_fits = st.depth() < S::kMaxDepth && st.top() + mfg::kHeaderWords + 1 <= S::kWords;
	typename S::Builder b(st, mf.h);
	EXPECT_EQ(b.ok(), frame_fits) << "depth " << st.depth() << " top " << st.top();
	if (!b.ok()) {
		++refusals;
		return;
	}
	const u32 users = rng() % 5;
	const u32 nest_at = nest ? rng() % (users + 1) : ~0u;
	for (u32 u = 0; u < users; u++) {
		if (u == nest_at) {
			std::vector<ModelFrame> inner_model = model;
			inner_model.push_back(mf); // placeholder depth for the frame being built
			random_push(st, inner_model, rng, false, refusals);
			if (inner_model.size() > model.size() + 1)
				st.pop();
		}
		const u32 slot = rng() % MFG_MAX_USERS;
		const u64 gen = rng() & mfg::IndexEntry::Generation::kMax;
		const bool entry_fits = st.top() + 1 <= S::kWords;
		const bool opened = b.open_entry(slot, gen);
		EXPECT_EQ(opened, entry_fits);
		if (!opened) {
			++refusals;
			continue;
		}
		ModelEntry me{slot, gen, {}};
		const u32 reservations = rng() % 3;
		for (u32 r = 0; r < reservations; r++) {
			const u32 words = rng() % 12;
			const bool data_fits = words && me.data.size() + words <= MFG_MAX_DATA_WORDS &&
					       st.top() + words <= S::kWords;
			u64 *p = st.reserve_data(words);
			EXPECT_EQ(p != nullptr, data_fits) << words << " words at " << st.top();
			if (!p)
				continue;
			for (u32 w = 0; w < words; w++) {
				p[w] = rng();
				me.data.push_back(p[w]);
			}
		}
		const bool keep = rng() % 4 != 0;
		b.close_entry(keep);
		if (keep)
			mf.entries.push_back(me);
	}
	if (b.finish())
		model.push_back(mf);
	else
		EXPECT_TRUE(mf.entries.empty());
}

// The words @model's frames take: a header each, an index word and the data per entry.
u32 model_words(const std::vector<ModelFrame> &model)
{
	u32 n = 0;
	for (const ModelFrame &f : model) {
		n += mfg::kHeaderWords;
		for (const ModelEntry &e : f.entries)
			n += 1 + e.data.size();
	}
	return n;
}

// Adds the refusals (frames and entries the stack had no room for) to @total.
template <typename S> void run_model(u64 seed, int steps, u32 *total)
{
	auto mem = std::unique_ptr<S, void (*)(void *)>(static_cast<S *>(mfg_k_zalloc(sizeof(S))), mfg_k_free);
	S &st = *mem;
	std::vector<ModelFrame> model;
	std::mt19937_64 rng(seed);
	u32 refusals = 0;
	for (int i = 0; i < steps; i++) {
		if (model.empty() || rng() % 100 < 55)
			random_push(st, model, rng, rng() % 8 == 0, refusals);
		else {
			st.pop();
			model.pop_back();
		}
		ASSERT_NO_FATAL_FAILURE(expect_matches(st, model)) << "seed " << seed << " step " << i;
		EXPECT_EQ(st.top(), model_words(model)) << "seed " << seed << " step " << i;
		ASSERT_LE(st.top(), S::kWords);
		ASSERT_EQ(st.builder(), nullptr);
	}
	EXPECT_GT(st.deepest(), 3u);
	// Every refusal was counted, and only refusals.
	EXPECT_EQ(st.overflows(), refusals) << "seed " << seed;
	*total += refusals;
}

TEST(ShadowStackModel, RandomPushPopPageSized)
{
	u32 refusals = 0;

	for (u64 seed = 1; seed <= 20; seed++) {
		run_model<mfg::ShadowStack<>>(seed, 3000, &refusals);
		if (HasFatalFailure())
			return;
	}
}

TEST(ShadowStackModel, RandomPushPopSmallStackOverflows)
{
	u32 refusals = 0;

	for (u64 seed = 100; seed <= 120; seed++) {
		run_model<mfg::ShadowStack<320>>(seed, 3000, &refusals);
		if (HasFatalFailure())
			return;
	}
	// The point of the small stack: it did overflow, many times.
	EXPECT_GT(refusals, 100u);
}

TEST(ShadowStackLayout, ZeroedPageIsEmptyAndFits)
{
	static_assert(sizeof(mfg::ShadowStack<>) <= MFG_SHADOW_STACK_BYTES);
	static_assert(__is_trivially_constructible(mfg::ShadowStack<>));
	static_assert(__is_standard_layout(mfg::ShadowStack<>));
	EXPECT_GE(mfg::ShadowStack<>::kMaxDepth * mfg::kMinFrameWords, mfg::ShadowStack<>::kWords);
	EXPECT_GT(mfg::ShadowStack<>::kMaxDepth, 64u);
}

TEST(FuncMapModel, MatchesStdMapOverRandomFilters)
{
	std::mt19937_64 rng(7);
	for (int round = 0; round < 50; round++) {
		const u32 users = 1 + rng() % MFG_MAX_USERS;
		std::vector<std::vector<u64>> ips(users);
		std::vector<mfg::UserFilter> filters;
		std::unordered_map<u64, mfg::UserMask> model;
		mfg::UserMask all = 0;
		for (u32 u = 0; u < users; u++) {
			const u32 n = rng() % 2000;
			for (u32 i = 0; i < n; i++)
				ips[u].push_back(0xffffffff80000000ull + (rng() % 50000) * 16);
			const bool everything = rng() % 10 == 0;
			filters.push_back({u, everything, ips[u].data(), n});
			for (u64 ip : ips[u])
				model[ip] |= mfg::UserMask{1} << u;
			if (everything)
				all |= mfg::UserMask{1} << u;
		}
		int err = 1;
		mfg::FuncMap *m = mfg::FuncMap::create(filters.data(), users, &err);
		ASSERT_NE(m, nullptr);
		EXPECT_EQ(m->size(), model.size());
		for (auto [ip, mask] : model)
			ASSERT_EQ(m->users_for(ip), mask | all);
		for (int probe = 0; probe < 1000; probe++) {
			const u64 ip = 0xffffffff80000000ull + (rng() % 60000) * 16 + 8;
			ASSERT_EQ(m->users_for(ip), all);
		}
		size_t visited = 0;
		m->for_each([&](u64 ip, mfg::UserMask mask) {
			++visited;
			EXPECT_EQ(model.at(ip), mask);
		});
		EXPECT_EQ(visited, model.size());
		mfg::FuncMap::destroy(m);
	}
}

template <u32 N> void registry_fills_and_reuses()
{
	auto reg = std::make_unique<mfg::Registry<N>>();
	std::vector<char> owners(N + 1);
	for (u32 i = 0; i < N; i++)
		ASSERT_EQ(reg->claim(&owners[i]), static_cast<int>(i));
	EXPECT_EQ(reg->claim(&owners[N]), -mfg::ktl::err::kNoSpc);
	EXPECT_EQ(mfg::ktl::popcount(reg->live_mask()), N);
	const u32 last = N - 1;
	const u64 g = reg->generation(last);
	reg->release(last);
	EXPECT_FALSE(reg->is_current(last, g));
	ASSERT_EQ(reg->claim(&owners[N]), static_cast<int>(last));
	EXPECT_FALSE(reg->is_current(last, g));
	EXPECT_TRUE(reg->is_current(last, reg->generation(last)));
	EXPECT_FALSE(reg->is_current(N, 1));
}

TEST(RegistrySizes, OneSixteenThirtyTwoSixtyFour)
{
	registry_fills_and_reuses<1>();
	registry_fills_and_reuses<16>();
	registry_fills_and_reuses<32>();
	registry_fills_and_reuses<64>();
}

TEST(RegistryGenerations, ParityTracksLiveness)
{
	mfg::Registry<4> reg;
	char owner;
	for (int cycle = 0; cycle < 1000; cycle++) {
		const int s = reg.claim(&owner);
		ASSERT_EQ(s, 0);
		ASSERT_EQ(reg.generation(0) & 1, 1u);
		reg.release(0);
		ASSERT_EQ(reg.generation(0) & 1, 0u);
	}
	EXPECT_EQ(reg.generation(0), 2000u);
}

TEST(Guards, PreemptAndRcuBalance)
{
	{
		mfg::ktl::PreemptGuard p;
		mfg::ktl::RcuReadGuard r;
		EXPECT_EQ(host_preempt_depth(), 1);
		EXPECT_EQ(host_rcu_depth(), 1);
	}
	EXPECT_EQ(host_preempt_depth(), 0);
	EXPECT_EQ(host_rcu_depth(), 0);
}

TEST(BitFields, EncodeDecodeAtLimits)
{
	using IE = mfg::IndexEntry;
	const u64 w = IE::encode(63, IE::Generation::kMax, MFG_MAX_DATA_WORDS);
	EXPECT_TRUE(IE::is_entry(w));
	EXPECT_EQ(IE::slot(w), 63u);
	EXPECT_EQ(IE::generation(w), IE::Generation::kMax);
	EXPECT_EQ(IE::data_words(w), static_cast<u32>(MFG_MAX_DATA_WORDS));
	EXPECT_EQ(IE::generation(IE::encode(0, IE::Generation::kMax + 1, 0)), 0u);
	EXPECT_FALSE(IE::is_entry(0));
}

} // namespace
