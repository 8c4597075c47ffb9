// SPDX-License-Identifier: GPL-2.0
//
// Host microbenchmarks of the engine core (Google Benchmark): frame push and
// pop, return dispatch with k interested users of N registered, and the
// function-to-users lookup. Host figures, for spotting regressions in the
// core's own code; the in-kernel cost is what tests/bench measures.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "../../fgraph/func_map.h"
#include "../../fgraph/registry.h"
#include "../../fgraph/task_stack.h"

namespace {

using mfg::u32;
using mfg::u64;

template <typename T> std::unique_ptr<T, void (*)(void *)> zeroed()
{
	return {static_cast<T *>(mfg_k_zalloc(sizeof(T))), mfg_k_free};
}

void FramePushPop(benchmark::State &state)
{
	auto s = zeroed<mfg::TaskStack>();
	const u32 users = static_cast<u32>(state.range(0));
	for (auto _ : state) {
		{
			mfg::TaskStack::Frames::Builder b(s->frames, {1, 2, 3, 4});
			for (u32 u = 0; u < users; u++) {
				b.open_entry(u, 1);
				b.close_entry(true);
			}
			b.finish();
		}
		benchmark::DoNotOptimize(s->frames.top_frame().ret_addr());
		s->frames.pop();
	}
}
BENCHMARK(FramePushPop)->Arg(1)->Arg(4)->Arg(16);

void Dispatch(benchmark::State &state)
{
	const u32 registered = static_cast<u32>(state.range(0));
	const u32 interested = static_cast<u32>(state.range(1));
	auto s = zeroed<mfg::TaskStack>();
	auto reg = std::make_unique<mfg::Registry<>>();
	std::vector<char> owners(registered);
	for (u32 i = 0; i < registered; i++)
		reg->claim(&owners[i]);
	{
		mfg::TaskStack::Frames::Builder b(s->frames, {1, 2, 3, 4});
		for (u32 u = 0; u < interested; u++) {
			b.open_entry(u, reg->generation(u));
			b.close_entry(true);
		}
		b.finish();
	}
	u32 calls = 0;
	for (auto _ : state) {
		u32 stale = 0;
		mfg::dispatch_returns(s->frames.top_frame(), *reg, &stale,
				      [&](u32, const mfg::EntryView &) { ++calls; });
		benchmark::DoNotOptimize(calls);
	}
}
BENCHMARK(Dispatch)->Args({16, 1})->Args({16, 4})->Args({16, 16});

void FunctionLookup(benchmark::State &state)
{
	const u32 funcs = static_cast<u32>(state.range(0));
	std::vector<u64> ips(funcs);
	std::mt19937_64 rng(1);
	for (auto &ip : ips)
		ip = 0xffffffff81000000ull + (rng() % (1u << 22)) * 16;
	const mfg::UserFilter filters[] = {{0, false, ips.data(), funcs}, {1, false, ips.data(), funcs / 2}};
	int err = 0;
	mfg::FuncMap *m = mfg::FuncMap::create(filters, 2, &err);
	u32 i = 0;
	for (auto _ : state) {
		benchmark::DoNotOptimize(m->users_for(ips[i]));
		i = (i + 1) % funcs;
	}
	mfg::FuncMap::destroy(m);
}
BENCHMARK(FunctionLookup)->Arg(16)->Arg(1000)->Arg(40000);

} // namespace

BENCHMARK_MAIN();
