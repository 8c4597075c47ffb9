// SPDX-License-Identifier: GPL-2.0
//
// The engine: the tracing path (entry and return), the data and unwinder
// APIs, and the state the C glue drives (registry, function map, shadow
// stacks, statistics).
//
// Everything here is constant-initialised (constinit): a module runs no C++
// constructors at load. Pointers the tracing path reads are published with
// release stores and read with acquire loads; whatever they replace is freed
// by the glue only after an RCU grace period, and the tracing path always
// runs with preemption disabled, which makes it an RCU reader.
#include "core.h"

#include "func_map.h"
#include "registry.h"
#include "shadow_stack.h"
#include "task_stack.h"

extern "C" void mfg_return_trampoline(void);

namespace mfg {
namespace {

// Per-CPU state: counters; the stack whose callbacks run on this CPU right
// now, so the data API finds it without a table lookup (callbacks run with
// preemption disabled, and a nested context saves and restores it); and
// the last task that found its stack here, with that stack, so the tracing
// path looks a task up in the table once, not on every call.
struct CpuState {
	const void *cached_task;
	TaskStack *cached_stack;
	TaskStack *active;
	u64 entries[MFG_MAX_USERS];
	u64 returns[MFG_MAX_USERS];
	u64 misses[MFG_NR_MISSES];
};

// Make @s the CPU's active stack (CpuState::active) for a scope.
class ActiveStack {
public:
	ActiveStack(TaskStack *&active, TaskStack *s) : active_{active}, prev_{active} { active_ = s; }
	~ActiveStack() { active_ = prev_; }
	ActiveStack(const ActiveStack &) = delete;
	ActiveStack &operator=(const ActiveStack &) = delete;

private:
	TaskStack *&active_;
	TaskStack *prev_;
};

constinit Registry<> g_registry;
constinit ktl::Atomic<FuncMap *> g_map;
constinit ktl::Atomic<UserMask> g_return_users;	// slots with a retfunc
constinit ktl::Atomic<UserMask> g_time_users;	// slots with MFG_OPS_FL_TIMESTAMPS
constinit ktl::Atomic<TaskTable *> g_tasks;
constinit ktl::Atomic<StackPool *> g_pool;
constinit ktl::Atomic<TaskStack *> g_deferred;	// unlinked, waiting for a grace period
constinit ktl::Atomic<u32> g_stacks_in_use;
constinit ktl::Atomic<u32> g_deepest;
constinit CpuState *g_stats;
constinit u32 g_nr_cpus;
constinit ktl::Atomic<bool> g_mismatch_warned;

u64 trampoline() { return reinterpret_cast<u64>(&mfg_return_trampoline); }

// The active stack of @cpu, if it belongs to @task.
TaskStack *active_stack(u32 cpu, const void *task)
{
	if (!g_stats || cpu >= g_nr_cpus)
		return nullptr;
	TaskStack *s = g_stats[cpu].active;
	return s && s->owner == task ? s : nullptr;
}

void count_miss(u32 cpu, mfg_miss cause, u64 n = 1)
{
	if (g_stats)
		ktl::local_add(g_stats[cpu].misses[cause], n);
}

void count(u64 (&counters)[MFG_MAX_USERS], u32 slot) { ktl::local_add(counters[slot], 1); }

// The CPU's cached stack of @task, or null. The cache is written only by
// the tracing path of its own CPU, for current, and an interrupt or NMI
// nesting on that CPU runs for the same current: whatever it writes names
// the same stack. The task goes first and last, so a reader never pairs a
// task with a stack that is not its own.
TaskStack *cached_stack(const CpuState &c, const void *task)
{
	if (ktl::read_once(c.cached_task) != task)
		return nullptr;
	ktl::compiler_barrier();
	return ktl::read_once(c.cached_stack);
}

void cache_stack(CpuState &c, const void *task, TaskStack *s)
{
	ktl::write_once(c.cached_task, static_cast<const void *>(nullptr));
	ktl::compiler_barrier();
	ktl::write_once(c.cached_stack, s);
	ktl::compiler_barrier();
	ktl::write_once(c.cached_task, task);
}

// Forget @task's cached stack on every CPU (@task null: every entry).
// Called when a stack is unlinked, before the grace period that precedes
// its free; a dead task never runs again to cache it anew.
void uncache(const void *task)
{
	for (u32 c = 0; g_stats && c < g_nr_cpus; c++)
		if (!task || ktl::read_once(g_stats[c].cached_task) == task)
			ktl::write_once(g_stats[c].cached_task, static_cast<const void *>(nullptr));
}

// Lock-free push onto the deferred-free list: any context, NMI included.
// The only consumer takes the whole list at once, so there is no ABA.
void defer_free(TaskStack *s)
{
	TaskStack *head = g_deferred.load_relaxed();
	do {
		s->free_next = head;
	} while (!g_deferred.compare_exchange(head, s));
}

// @ctx's task's stack from the table, if it has one. Any task.
TaskStack *table_stack(const mfg_core_ctx *ctx)
{
	TaskTable *table = g_tasks.load_acquire();
	if (!table)
		return nullptr;
	TaskTable::Slot *slot = table->slot(ctx->key);
	if (!slot)
		return nullptr;
	TaskStack *s = slot->load_acquire();
	return s && s->owner == ctx->task ? s : nullptr;
}

// current's stack from the table, cached for the next call.
[[gnu::noinline]] TaskStack *find_and_cache_stack(const mfg_core_ctx *ctx)
{
	TaskStack *s = table_stack(ctx);
	if (s)
		cache_stack(g_stats[ctx->cpu], ctx->task, s);
	return s;
}

// current's stack, if it has one (@ctx must describe current).
TaskStack *find_stack(const mfg_core_ctx *ctx)
{
	if (TaskStack *s = cached_stack(g_stats[ctx->cpu], ctx->task))
		return s;
	return find_and_cache_stack(ctx);
}

// current's stack from the table, taking one from the CPU's pool on its
// first traced call; cached for the next call. The cache missed already.
[[gnu::noinline]] TaskStack *take_stack(const mfg_core_ctx *ctx, int *want)
{
	CpuState &c = g_stats[ctx->cpu];
	TaskTable *table = g_tasks.load_acquire();
	StackPool *pool = g_pool.load_acquire();
	if (!table || !pool)
		return nullptr;
	TaskTable::Slot *slot = table->slot(ctx->key);
	if (!slot) {
		*want |= MFG_WANT_CHUNK;
		count_miss(ctx->cpu, MFG_MISS_NO_CHUNK);
		return nullptr;
	}
	TaskStack *s = slot->load_acquire();
	if (s) {
		if (s->owner == ctx->task) {
			cache_stack(c, ctx->task, s);
			return s;
		}
		// A dead task with this pid was not freed yet.
		count_miss(ctx->cpu, MFG_MISS_PID_BUSY);
		return nullptr;
	}
	bool low = false;
	s = pool->take(ctx->cpu, &low);
	if (low)
		*want |= MFG_WANT_REFILL;
	if (!s) {
		count_miss(ctx->cpu, MFG_MISS_NO_STACK);
		return nullptr;
	}
	s->owner = ctx->task;
	TaskStack *expected = nullptr;
	// Only this task installs into its own slot, and the slot was empty:
	// the exchange cannot fail unless the table is corrupt.
	if (!slot->compare_exchange(expected, s)) {
		defer_free(s);
		return nullptr;
	}
	g_stacks_in_use.fetch_add(1);
	cache_stack(c, ctx->task, s);
	return s;
}

// current's stack, taking one on its first traced call.
TaskStack *find_or_take_stack(const mfg_core_ctx *ctx, int *want)
{
	if (TaskStack *s = cached_stack(g_stats[ctx->cpu], ctx->task))
		return s;
	return take_stack(ctx, want);
}

void note_depth(u32 depth)
{
	u32 seen = g_deepest.load_relaxed();
	while (depth > seen && !g_deepest.compare_exchange(seen, depth)) {
	}
}

// The user holding @slot, or null. Read the generation first: whoever
// sees a live generation also sees the owner it was published with.
mfg_ops *user_at(u32 slot) { return static_cast<mfg_ops *>(const_cast<void *>(g_registry.owner(slot))); }

mfg_ops *live_user(u32 slot, u64 *generation)
{
	*generation = g_registry.generation(slot);
	return *generation & 1 ? user_at(slot) : nullptr;
}

// The entry callback of a user that wants no return: no frame involved.
void call_entry_only(const mfg_core_ctx *ctx, u32 slot, mfg_ops *ops, const mfg_entry &trace,
		     ftrace_regs *fregs)
{
	if (ops->entryfunc)
		ops->entryfunc(&trace, ops, fregs);
	count(g_stats[ctx->cpu].entries, slot);
}

void call_entry_only(const mfg_core_ctx *ctx, UserMask users, const mfg_entry &trace, ftrace_regs *fregs)
{
	for (; users; users &= users - 1) {
		const u32 slot = ktl::lowest_bit(users);
		u64 gen;
		if (mfg_ops *ops = live_user(slot, &gen))
			call_entry_only(ctx, slot, ops, trace, fregs);
	}
}

// Tell the users in @users that wanted this call's return and got no frame
// for it, so that they can count what they did not see.
[[gnu::noinline]] void report_missed(UserMask users, unsigned long ip)
{
	for (; users; users &= users - 1) {
		u64 gen;
		mfg_ops *ops = live_user(ktl::lowest_bit(users), &gen);
		if (ops && ops->missfunc)
			ops->missfunc(ip, ops);
	}
}

// Is frame @index of @s swapped (its return slot holds the trampoline)?
// Yes once built, until its return dispatch starts.
bool is_swapped(TaskStack *s, u32 index)
{
	for (const Dispatch *d = s->dispatch; d; d = d->prev)
		if (d->frame == index)
			return false;
	for (const auto *b = s->frames.builder(); b; b = b->previous())
		if (b->frame_index() == index)
			return false;
	return true;
}

// Where the currently running callback's frame and user are.
bool current_callback(TaskStack *s, u32 *frame, u32 *slot)
{
	const auto *b = s->frames.builder();
	const Dispatch *d = s->dispatch;
	// The innermost of the two is the one with the higher frame index.
	if (b && b->open_slot() >= 0 && (!d || b->frame_index() > d->frame)) {
		*frame = b->frame_index();
		*slot = static_cast<u32>(b->open_slot());
		return true;
	}
	if (d) {
		*frame = d->frame;
		*slot = d->slot;
		return true;
	}
	return false;
}

void *entry_data(u64 *data, u32 words, int *size)
{
	if (size)
		*size = static_cast<int>(words * sizeof(u64));
	return words ? data : nullptr;
}

} // namespace
} // namespace mfg

using namespace mfg;

extern "C" void mfg_core_count_miss(unsigned int cpu, enum mfg_miss cause) { count_miss(cpu, cause); }

extern "C" void mfg_core_account_stacks(long n) { ktl::g_bytes_held.fetch_add(static_cast<u64>(n) * sizeof(TaskStack)); }

extern "C" unsigned long long mfg_core_bytes_held(void) { return ktl::g_bytes_held.load_relaxed(); }

extern "C" void mfg_core_describe(struct mfg_core_info *info)
{
	info->max_users = Registry<>::kSlots;
	info->stack_bytes = MFG_SHADOW_STACK_BYTES;
	info->stack_words = TaskStack::Frames::kWords;
	info->max_depth = TaskStack::Frames::kMaxDepth;
	info->max_data_words = MFG_MAX_DATA_WORDS;
	info->header_words = kHeaderWords;
	info->cplusplus = __cplusplus;
}

extern "C" unsigned long long mfg_core_live_users(void) { return g_registry.live_mask(); }

// ---------------------------------------------------------------- entry

// The tracing path's two functions go without the stack protector: they keep
// no buffer on the stack, and its canary costs a dozen instructions a call.
extern "C" [[gnu::no_stack_protector]] int mfg_core_entry(const struct mfg_core_ctx *ctx, unsigned long ip,
							   unsigned long *retp, unsigned long frame_key,
							   struct ftrace_regs *fregs)
{
	const FuncMap *map = g_map.load_acquire();
	if (!map)
		return 0;
	const UserMask users = map->users_for(ip);
	if (!users)
		return 0;

	int want = 0;
	// The kernel zero-fills stack variables (INIT_STACK_ALL_ZERO); these
	// are written in full before use, so skip that on the tracing path.
	[[gnu::uninitialized]] mfg_entry trace;
	trace.func = ip;
	trace.ret_addr = *retp;
	trace.depth = 0;
	CpuState &cpu = g_stats[ctx->cpu];
	const UserMask returners = users & g_return_users.load_relaxed();
	TaskStack *s = cached_stack(cpu, ctx->task);
	if (!s)
		s = returners ? take_stack(ctx, &want) : table_stack(ctx);
	if (s)
		trace.depth = static_cast<int>(s->frames.depth());
	if (users != returners) {
		// Users without a return callback need no frame: call them
		// first, with the depth the frame will have.
		[[gnu::uninitialized]] ActiveStack active(cpu.active, s);
		call_entry_only(ctx, users & ~returners, trace, fregs);
	}
	if (!returners)
		return want;
	if (!s) {
		report_missed(returners, ip);
		return want;
	}

	const u64 calltime = returners & g_time_users.load_relaxed() ? mfg_k_clock_ns() : 0;
	[[gnu::uninitialized]] TaskStack::Frames::Builder frame(s->frames, {trace.ret_addr, ip, calltime, frame_key});
	if (!frame.ok()) {
		count_miss(ctx->cpu, MFG_MISS_OVERFLOW);
		report_missed(returners, ip);
		return want;
	}
	[[gnu::uninitialized]] ActiveStack active(cpu.active, s);
	for (UserMask left = returners; left; left &= left - 1) {
		const u32 slot = ktl::lowest_bit(left);
		u64 gen;
		mfg_ops *ops = live_user(slot, &gen);
		if (!ops)
			continue;
		// The frame is open (ok()) and each pass closes its entry.
		if (!frame.begin_entry(slot, gen)) {
			count_miss(ctx->cpu, MFG_MISS_OVERFLOW);
			if (ops->missfunc)
				ops->missfunc(ip, ops);
			continue;
		}
		count(cpu.entries, slot);
		const int wants_return = ops->entryfunc ? ops->entryfunc(&trace, ops, fregs) : 1;
		frame.end_entry(wants_return != 0);
	}
	if (frame.finish()) {
		note_depth(s->frames.depth());
		// Swap only once the frame is complete: the trampoline must
		// never find a frame that is not there.
		ktl::write_once(*retp, trampoline());
	}
	return want;
}

// ---------------------------------------------------------------- return

namespace {

// A return that does not belong to the top frame: drop the frames above
// its own (abandoned), or stop the kernel if none is its own.
[[gnu::noinline]] void settle_mismatch(const mfg_core_ctx *ctx, TaskStack *s, unsigned long frame_key)
{
	const int dropped = s->frames.settle_return(frame_key);
	if (dropped < 0) {
		for (u32 i = s->frames.depth(); i-- > 0;) {
			FrameView g = s->frames.frame(i);
			mfg_k_log(MFG_K_ERR, "frame %u: func %#llx ret %#llx key %#llx words %u", i,
				  static_cast<unsigned long long>(g.func()),
				  static_cast<unsigned long long>(g.ret_addr()),
				  static_cast<unsigned long long>(g.retp()), g.size_words());
		}
		mfg_k_fatal("return matches no shadow frame");
	}
	count_miss(ctx->cpu, MFG_MISS_MISMATCH);
	if (!g_mismatch_warned.load_relaxed()) {
		g_mismatch_warned.store_relaxed(true);
		mfg_k_log(MFG_K_WARNING, "return of %#lx skipped %d abandoned frames; recovered", frame_key,
			  dropped);
	}
}

} // namespace

extern "C" [[gnu::no_stack_protector]] unsigned long mfg_core_return(const struct mfg_core_ctx *ctx,
								      unsigned long frame_key,
								      unsigned long retval,
								      unsigned long *unwind_slot,
								      struct ftrace_regs *fregs)
{
	TaskStack *s = find_stack(ctx);
	if (!s || s->frames.empty())
		mfg_k_fatal("return trampoline reached with no shadow frame");
	// Normally the return belongs to the top frame.
	u32 index = s->frames.depth() - 1;
	FrameView f = s->frames.frame(index);
	if (f.retp() != frame_key) {
		settle_mismatch(ctx, s, frame_key);
		index = s->frames.depth() - 1;
		f = s->frames.frame(index);
	}

	const unsigned long ret = f.ret_addr();
	// Let an unwinder running in a callback find the real caller.
	*unwind_slot = ret;

	if (!ctx->rcu_watching) {
		// Callbacks need RCU to keep their ops alive; pop without them.
		count_miss(ctx->cpu, MFG_MISS_NOT_WATCHING);
		s->frames.pop();
		return ret;
	}
	// A frame that got no calltime has no user that wants times.
	const u64 calltime = f.calltime();
	// Written in full before use: skip the kernel's zero-fill (see entry).
	[[gnu::uninitialized]] mfg_return trace;
	trace.func = f.func();
	trace.ret_addr = ret;
	trace.retval = retval;
	trace.depth = static_cast<int>(index);
	trace.calltime = calltime;
	trace.rettime = calltime ? mfg_k_clock_ns() : 0;
	[[gnu::uninitialized]] Dispatch dispatch;
	dispatch.prev = s->dispatch;
	dispatch.frame = index;
	s->dispatch = &dispatch;
	CpuState &cpu = g_stats[ctx->cpu];
	[[gnu::uninitialized]] ActiveStack active(cpu.active, s);
	u32 stale = 0;
	dispatch_returns(f, g_registry, &stale, [&](u32 slot, const EntryView &e) {
		// dispatch_returns() checked the generation already.
		mfg_ops *ops = user_at(slot);
		if (!ops || !ops->retfunc)
			return;
		dispatch.slot = slot;
		dispatch.data = e.data;
		dispatch.data_words = e.data_words;
		// Counted before the call: fewer values live across it.
		count(cpu.returns, slot);
		ops->retfunc(&trace, ops, fregs);
	});
	s->dispatch = dispatch.prev;
	if (stale)
		count_miss(ctx->cpu, MFG_MISS_STALE, stale);
	s->frames.pop();
	return ret;
}

// ---------------------------------------------------------------- data API

extern "C" void *mfg_core_reserve_data(unsigned int cpu, const void *task, int size)
{
	if (size <= 0 || size > static_cast<int>(MFG_MAX_DATA_WORDS * sizeof(u64)))
		return nullptr;
	TaskStack *s = active_stack(cpu, task);
	if (!s)
		return nullptr;
	return s->frames.reserve_data((static_cast<u32>(size) + sizeof(u64) - 1) / sizeof(u64));
}

extern "C" void *mfg_core_retrieve_data(unsigned int cpu, const void *task, int *size)
{
	TaskStack *s = active_stack(cpu, task);
	if (!s || !s->dispatch)
		return nullptr;
	return entry_data(s->dispatch->data, s->dispatch->data_words, size);
}

extern "C" void *mfg_core_retrieve_parent_data(unsigned int cpu, const void *task, int depth, int *size)
{
	TaskStack *s = active_stack(cpu, task);
	u32 frame = 0, slot = 0;
	if (!s || depth < 0 || !current_callback(s, &frame, &slot) || static_cast<u32>(depth) > frame)
		return nullptr;
	EntryView e{};
	if (!s->frames.frame(frame - depth).find_entry(slot, &e) || !g_registry.is_current(slot, e.generation))
		return nullptr;
	return entry_data(e.data, e.data_words, size);
}

extern "C" unsigned long *mfg_core_task_var(const struct mfg_core_ctx *ctx, const struct mfg_ops *ops)
{
	if (!ops || ops->slot < 0 || ops->slot >= static_cast<int>(MFG_MAX_USERS) ||
	    g_registry.owner(ops->slot) != ops)
		return nullptr;
	int want = 0;
	TaskStack *s = find_or_take_stack(ctx, &want);
	if (!s)
		return nullptr;
	const u32 slot = static_cast<u32>(ops->slot);
	const u64 gen = g_registry.generation(slot);
	// A variable left by an earlier user of the slot starts again at 0.
	if (s->var_generation[slot] != gen) {
		s->var_value[slot] = 0;
		s->var_generation[slot] = gen;
	}
	return reinterpret_cast<unsigned long *>(&s->var_value[slot]);
}

// ---------------------------------------------------------------- unwinder

extern "C" unsigned long mfg_core_ret_addr(const struct mfg_core_ctx *ctx, int *idx, unsigned long ret,
					   unsigned long frame_key)
{
	if (ret != trampoline())
		return ret;
	TaskStack *s = table_stack(ctx);
	if (!s)
		return ret;
	int seen = 0;
	for (u32 i = s->frames.depth(); i-- > 0;) {
		if (!is_swapped(s, i))
			continue;
		FrameView f = s->frames.frame(i);
		if (frame_key ? f.retp() == frame_key : (idx && seen == *idx)) {
			if (idx)
				*idx = seen + 1;
			return f.ret_addr();
		}
		++seen;
	}
	return ret;
}

extern "C" void mfg_core_unswap_all(const struct mfg_core_ctx *ctx, bool restore)
{
	TaskStack *s = table_stack(ctx);
	if (!s)
		return;
	for (u32 i = s->frames.depth(); i-- > 0;) {
		if (!is_swapped(s, i))
			continue;
		FrameView f = s->frames.frame(i);
		auto *slot = reinterpret_cast<unsigned long *>(f.retp());
		const unsigned long from = restore ? f.ret_addr() : trampoline();
		const unsigned long to = restore ? trampoline() : f.ret_addr();
		if (ktl::read_once(*slot) == from)
			ktl::write_once(*slot, to);
	}
}

extern "C" void mfg_core_fix_trace(const struct mfg_core_ctx *ctx, unsigned long *trace, unsigned int n)
{
	int idx = 0;
	for (unsigned int i = 0; i < n; i++)
		if (trace[i] == trampoline())
			trace[i] = mfg_core_ret_addr(ctx, &idx, trace[i], 0);
}

// ---------------------------------------------------------------- registration

extern "C" int mfg_core_claim(struct mfg_ops *ops)
{
	const int slot = g_registry.claim(ops);
	if (slot < 0)
		return slot;
	ops->slot = slot;
	for (u32 c = 0; c < g_nr_cpus; c++) {
		g_stats[c].entries[slot] = 0;
		g_stats[c].returns[slot] = 0;
	}
	const UserMask bit = UserMask{1} << slot;
	if (ops->retfunc)
		g_return_users.fetch_or(bit);
	if (ops->flags & MFG_OPS_FL_TIMESTAMPS)
		g_time_users.fetch_or(bit);
	return slot;
}

extern "C" void mfg_core_retire(int slot)
{
	g_registry.retire(static_cast<u32>(slot));
	g_return_users.fetch_and(~(UserMask{1} << slot));
	g_time_users.fetch_and(~(UserMask{1} << slot));
}

extern "C" void mfg_core_release(int slot) { g_registry.release(static_cast<u32>(slot)); }

extern "C" void *mfg_core_publish_map(const struct mfg_core_filter *filters, unsigned int n, int *err)
{
	UserFilter local[MFG_MAX_USERS];
	if (n > MFG_MAX_USERS) {
		*err = -ktl::err::kInval;
		return nullptr;
	}
	for (unsigned int i = 0; i < n; i++)
		local[i] = UserFilter{static_cast<u32>(filters[i].slot), filters[i].all,
				      reinterpret_cast<const u64 *>(filters[i].ips), filters[i].count};
	// No user: no map, and the entry path stops at the first load.
	FuncMap *fresh = n ? FuncMap::create(local, n, err) : nullptr;
	if (n && !fresh)
		return nullptr;
	*err = 0;
	FuncMap *old = g_map.load_relaxed();
	g_map.store_release(fresh);
	return old;
}

extern "C" void mfg_core_free_map(void *map) { FuncMap::destroy(static_cast<FuncMap *>(map)); }

extern "C" unsigned int mfg_core_map_size(void)
{
	const FuncMap *m = g_map.load_acquire();
	return m ? m->size() : 0;
}

// ---------------------------------------------------------------- stacks

extern "C" int mfg_core_stacks_start(unsigned int nr_cpus)
{
	TaskTable *table = TaskTable::create(nr_cpus);
	StackPool *pool = StackPool::create(nr_cpus);
	if (!table || !pool) {
		TaskTable::destroy(table);
		StackPool::destroy(pool);
		return -ktl::err::kNoMem;
	}
	// No tracing is active yet: filling other CPUs' pools directly is safe.
	for (u32 c = 0; c < nr_cpus; c++) {
		for (u32 i = 0; i < StackPool::kPerCpu; i++) {
			auto *s = ktl::zalloc_counted<TaskStack>(sizeof(TaskStack));
			if (!s || !pool->put(c, s)) {
				ktl::free_counted(s, sizeof(TaskStack));
				break;
			}
		}
	}
	g_tasks.store_release(table);
	g_pool.store_release(pool);
	return 0;
}

extern "C" bool mfg_core_stacks_started(void) { return g_tasks.load_relaxed() != nullptr; }

extern "C" int mfg_core_grow(long key)
{
	TaskTable *t = g_tasks.load_relaxed();
	return !t || t->grow(key) ? 0 : -ktl::err::kNoMem;
}

extern "C" unsigned int mfg_core_pool_want(unsigned int cpu)
{
	StackPool *p = g_pool.load_relaxed();
	return p && cpu < p->nr_cpus() ? StackPool::kPerCpu - p->level(cpu) : 0;
}

extern "C" unsigned int mfg_core_refill_local(unsigned int cpu, void *const *stacks, unsigned int n)
{
	StackPool *p = g_pool.load_relaxed();
	unsigned int used = 0;
	while (p && used < n && p->put(cpu, static_cast<TaskStack *>(stacks[used])))
		++used;
	return used;
}

extern "C" void *mfg_core_task_freed(void *task, long key)
{
	TaskTable *t = g_tasks.load_acquire();
	TaskTable::Slot *slot = t ? t->slot(key) : nullptr;
	if (!slot)
		return nullptr;
	TaskStack *s = slot->load_acquire();
	if (!s || s->owner != task || !slot->compare_exchange(s, nullptr))
		return nullptr;
	uncache(task);
	g_stacks_in_use.fetch_add(~u32{0});
	defer_free(s);
	return s;
}

extern "C" unsigned int mfg_core_reap(void (*collect)(void *stack, void *arg), void *arg, bool idle_too)
{
	// Stacks of freed tasks first.
	TaskStack *list = g_deferred.load_relaxed();
	while (!g_deferred.compare_exchange(list, nullptr)) {
	}
	while (list) {
		TaskStack *next = list->free_next;
		collect(list, arg);
		list = next;
	}
	TaskTable *t = g_tasks.load_relaxed();
	if (!t || !idle_too)
		return 0;
	// No hook and no user: only returns run, on stacks with frames, which
	// stay linked (and may cache themselves again).
	uncache(nullptr);
	unsigned int busy = 0;
	t->for_each_stack([&](TaskTable::Slot &slot, TaskStack *s) {
		if (!s->frames.empty()) {
			++busy;
			return;
		}
		if (slot.compare_exchange(s, nullptr)) {
			g_stacks_in_use.fetch_add(~u32{0});
			collect(s, arg);
		}
	});
	return busy;
}

extern "C" void mfg_core_stacks_stop(void)
{
	TaskTable *t = g_tasks.load_relaxed();
	StackPool *p = g_pool.load_relaxed();
	g_tasks.store_release(nullptr);
	g_pool.store_release(nullptr);
	TaskTable::destroy(t);
	StackPool::destroy(p);
}

// ---------------------------------------------------------------- statistics

extern "C" int mfg_core_stats_init(unsigned int nr_cpus)
{
	g_stats = static_cast<CpuState *>(mfg_k_zalloc(nr_cpus * sizeof(CpuState)));
	if (!g_stats)
		return -ktl::err::kNoMem;
	g_nr_cpus = nr_cpus;
	return 0;
}

extern "C" void mfg_core_stats_exit(void)
{
	mfg_k_free(g_stats);
	g_stats = nullptr;
	g_nr_cpus = 0;
}

extern "C" void mfg_core_user_stats(int slot, struct mfg_core_stats *out)
{
	out->entries = out->returns = 0;
	for (u32 c = 0; c < g_nr_cpus; c++) {
		out->entries += ktl::read_once(g_stats[c].entries[slot]);
		out->returns += ktl::read_once(g_stats[c].returns[slot]);
	}
}

extern "C" unsigned long long mfg_core_misses(enum mfg_miss cause)
{
	unsigned long long n = 0;
	for (u32 c = 0; c < g_nr_cpus; c++)
		n += ktl::read_once(g_stats[c].misses[cause]);
	return n;
}

extern "C" unsigned long long mfg_core_slot_generation(int slot) { return g_registry.generation(slot); }

extern "C" void mfg_core_stack_stats(unsigned int *in_use, unsigned int *deepest, unsigned int *chunks)
{
	*in_use = g_stacks_in_use.load_relaxed();
	*deepest = g_deepest.load_relaxed();
	TaskTable *t = g_tasks.load_relaxed();
	*chunks = t ? t->chunks_in_use() : 0;
}
