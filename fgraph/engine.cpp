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

// The callback running on a CPU right now: whose (slot), of which kind, in
// which interrupt context, on which stack and frame, and what the data API
// may hand it. Recorded explicitly, never inferred from frame positions, so
// that an entry-only callback, or an interrupt's callback nested on top of
// another user's entry callback, never gets that user's open entry or data.
// Callbacks run with preemption disabled; an interrupt or NMI nesting on
// the CPU pushes its own record and pops it before the interrupted callback
// goes on.
//
// It also keeps a callback's own traced calls untraced: a traced call whose
// context is the innermost record's is made from inside that callback.
// Traced, a return callback calling a traced function would recurse (return
// -> callback -> entry -> frame -> return -> callback ...) until the stack
// overflows; ftrace's recursion lock guards only the entry side, and lets
// one level through for its context transitions.
struct Running {
	enum class Kind : ktl::u8 { kEntryOnly, kEntry, kReturn };
	Running *prev;
	u32 irq_ctx;				// mfg_core_ctx::irq_ctx
	TaskStack *stack;			// the stack the callback's frame is on
	TaskStack::Frames::Builder *builder;	// kEntry: the frame being built
	u64 *data;				// kReturn: the user's data words
	u32 data_words;
	u32 frame;				// kEntry, kReturn: the frame's index
	u32 slot;				// kEntry, kReturn: the user being called
	Kind kind;
};

// Make @r the CPU's innermost running callback for a scope.
class RunningScope {
public:
	RunningScope(Running *&head, Running &r) : head_{head}, r_{r}
	{
		r.prev = head;
		ktl::compiler_barrier();
		head = &r;
	}
	~RunningScope() { head_ = r_.prev; }
	RunningScope(const RunningScope &) = delete;
	RunningScope &operator=(const RunningScope &) = delete;

private:
	Running *&head_;
	Running &r_;
};

// Per-CPU state: counters; the innermost callback running on this CPU; and
// the last task that found its stack here, with that stack, so the tracing
// path looks a task up in the hash once, not on every call.
struct CpuState {
	const void *cached_task;
	TaskStack *cached_stack;
	Running *running;
	u64 entries[MFG_MAX_USERS];
	u64 returns[MFG_MAX_USERS];
	u64 misses[MFG_NR_MISSES];
};

constinit Registry<> g_registry;
constinit ktl::Atomic<FuncMap *> g_map;
constinit ktl::Atomic<FuncMap *> g_killed_map;	// taken down by mfg_core_kill()
constinit ktl::Atomic<bool> g_killed;
constinit ktl::Atomic<UserMask> g_return_users;	// slots with a retfunc
constinit ktl::Atomic<UserMask> g_time_users;	// slots with MFG_OPS_FL_TIMESTAMPS
constinit ktl::Atomic<TaskHash *> g_tasks;
constinit ktl::Atomic<StackPool *> g_pool;
constinit ktl::Atomic<TaskStack *> g_deferred;	// given back unused, waiting for a reap
constinit ktl::Atomic<TaskStack *> g_dead;	// of freed tasks, waiting for a reap
constinit ktl::Atomic<u32> g_stacks_in_use;
constinit ktl::Atomic<u32> g_deepest;
constinit CpuState *g_stats;
constinit u32 g_nr_cpus;
constinit ktl::Atomic<bool> g_mismatch_warned;

u64 trampoline() { return reinterpret_cast<u64>(&mfg_return_trampoline); }

// The callback that calls the data API: the one running on @ctx's CPU in
// @ctx's interrupt context. An interrupt handler that is no callback but
// nests on one gets none.
Running *running_for(const mfg_core_ctx *ctx)
{
	if (!g_stats || ctx->cpu >= g_nr_cpus)
		return nullptr;
	Running *r = g_stats[ctx->cpu].running;
	return r && r->irq_ctx == ctx->irq_ctx ? r : nullptr;
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

// Forget @task's cached stack on every CPU. A dead task never runs again
// to cache it anew.
void uncache_task(const void *task)
{
	for (u32 c = 0; g_stats && c < g_nr_cpus; c++)
		if (ktl::read_once(g_stats[c].cached_task) == task)
			ktl::write_once(g_stats[c].cached_task, static_cast<const void *>(nullptr));
}

// Lock-free push onto a list of stacks: any context, NMI included. The only
// consumer takes the whole list at once, so there is no ABA.
void push_stack(ktl::Atomic<TaskStack *> &list, TaskStack *s)
{
	TaskStack *head = list.load_relaxed();
	do {
		s->free_next = head;
	} while (!list.compare_exchange(head, s));
}

TaskStack *take_all(ktl::Atomic<TaskStack *> &list)
{
	TaskStack *head = list.load_relaxed();
	while (!list.compare_exchange(head, nullptr)) {
	}
	return head;
}

// @ctx's task's stack from the hash, if it has one. Any task.
TaskStack *table_stack(const mfg_core_ctx *ctx)
{
	TaskHash *tasks = g_tasks.load_acquire();
	return tasks ? tasks->find(ctx->task) : nullptr;
}

// current's stack from the hash, cached for the next call.
[[gnu::noinline]] TaskStack *find_and_cache_stack(const mfg_core_ctx *ctx)
{
	TaskStack *s = table_stack(ctx);
	if (s)
		cache_stack(g_stats[ctx->cpu], ctx->task, s);
	return s;
}

// current's stack from the hash, taking one from the CPU's pool on its
// first traced call; cached for the next call. The cache missed already.
[[gnu::noinline]] TaskStack *take_stack(const mfg_core_ctx *ctx, int *want)
{
	CpuState &c = g_stats[ctx->cpu];
	TaskHash *tasks = g_tasks.load_acquire();
	StackPool *pool = g_pool.load_acquire();
	if (!tasks || !pool)
		return nullptr;
	TaskStack *s = tasks->find(ctx->task);
	if (!s) {
		bool low = false;
		TaskStack *fresh = pool->take(ctx->cpu, &low);
		if (low)
			*want |= MFG_WANT_REFILL;
		if (!fresh) {
			count_miss(ctx->cpu, MFG_MISS_NO_STACK);
			return nullptr;
		}
		fresh->owner = ctx->task;
		s = tasks->insert(fresh);
		if (s == fresh) {
			g_stacks_in_use.fetch_add(1);
		} else {
			// An interrupt linked one for this task first. A pool
			// only takes stacks from task context: the reap frees it.
			push_stack(g_deferred, fresh);
		}
	}
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
// for it, so that they can count what they did not see. Their traced calls
// run untraced like any callback's: a full stack would otherwise miss again,
// and again.
[[gnu::noinline]] void report_missed(const mfg_core_ctx *ctx, UserMask users, unsigned long ip)
{
	[[gnu::uninitialized]] Running r;
	r.kind = Running::Kind::kEntryOnly;
	r.irq_ctx = ctx->irq_ctx;
	r.stack = nullptr;
	RunningScope running(g_stats[ctx->cpu].running, r);
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
	CpuState &cpu = g_stats[ctx->cpu];
	if (const Running *r = cpu.running; r && r->irq_ctx == ctx->irq_ctx) [[unlikely]] {
		count_miss(ctx->cpu, MFG_MISS_RECURSION);
		return 0;
	}
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
	const UserMask returners = users & g_return_users.load_relaxed();
	TaskStack *s = cached_stack(cpu, ctx->task);
	if (!s)
		s = returners ? take_stack(ctx, &want) : table_stack(ctx);
	if (s)
		trace.depth = static_cast<int>(s->frames.depth());
	if (users != returners) {
		// Users without a return callback need no frame: call them
		// first, with the depth the frame will have. The data API has
		// nothing for them.
		[[gnu::uninitialized]] Running r;
		r.kind = Running::Kind::kEntryOnly;
		r.irq_ctx = ctx->irq_ctx;
		r.stack = s;
		RunningScope running(cpu.running, r);
		call_entry_only(ctx, users & ~returners, trace, fregs);
	}
	if (!returners)
		return want;
	if (!s) {
		report_missed(ctx, returners, ip);
		return want;
	}

	const u64 calltime = returners & g_time_users.load_relaxed() ? mfg_k_clock_ns() : 0;
	[[gnu::uninitialized]] TaskStack::Frames::Builder frame(s->frames, {trace.ret_addr, ip, calltime, frame_key});
	if (!frame.ok()) {
		count_miss(ctx->cpu, MFG_MISS_OVERFLOW);
		report_missed(ctx, returners, ip);
		return want;
	}
	[[gnu::uninitialized]] Running r;
	r.kind = Running::Kind::kEntry;
	r.irq_ctx = ctx->irq_ctx;
	r.stack = s;
	r.builder = &frame;
	r.frame = frame.frame_index();
	RunningScope running(cpu.running, r);
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
		r.slot = slot;
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
	CpuState &cpu = g_stats[ctx->cpu];
	TaskStack *s = cached_stack(cpu, ctx->task);
	if (!s)
		s = find_and_cache_stack(ctx);
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
	[[gnu::uninitialized]] Running r;
	r.kind = Running::Kind::kReturn;
	r.irq_ctx = ctx->irq_ctx;
	r.stack = s;
	r.frame = index;
	RunningScope running(cpu.running, r);
	u32 stale = 0;
	bool complete;
	dispatch_returns(
		f, g_registry, &stale,
		[&](u32 slot, const EntryView &e) {
			// dispatch_returns() checked the generation already.
			mfg_ops *ops = user_at(slot);
			if (!ops || !ops->retfunc)
				return;
			r.slot = slot;
			r.data = e.data;
			r.data_words = e.data_words;
			// Counted before the call: fewer values live across it.
			count(cpu.returns, slot);
			ops->retfunc(&trace, ops, fregs);
		},
		&complete);
	s->dispatch = dispatch.prev;
	if (stale)
		count_miss(ctx->cpu, MFG_MISS_STALE, stale);
	if (!complete)
		mfg_core_kill("a shadow frame holds a corrupt index entry");
	s->frames.pop();
	return ret;
}

// ---------------------------------------------------------------- data API

extern "C" void *mfg_core_reserve_data(const struct mfg_core_ctx *ctx, int size)
{
	if (size <= 0 || size > static_cast<int>(MFG_MAX_DATA_WORDS * sizeof(u64)))
		return nullptr;
	Running *r = running_for(ctx);
	if (!r || r->kind != Running::Kind::kEntry)
		return nullptr;
	// The builder's open entry is r->slot's: the callback runs between
	// begin_entry() and end_entry().
	return r->builder->reserve((static_cast<u32>(size) + sizeof(u64) - 1) / sizeof(u64));
}

extern "C" void *mfg_core_retrieve_data(const struct mfg_core_ctx *ctx, int *size)
{
	Running *r = running_for(ctx);
	if (!r || r->kind != Running::Kind::kReturn)
		return nullptr;
	return entry_data(r->data, r->data_words, size);
}

extern "C" void *mfg_core_retrieve_parent_data(const struct mfg_core_ctx *ctx, int depth, int *size)
{
	Running *r = running_for(ctx);
	if (!r || r->kind == Running::Kind::kEntryOnly || depth < 0 || static_cast<u32>(depth) > r->frame)
		return nullptr;
	EntryView e{};
	if (!r->stack->frames.frame(r->frame - depth).find_entry(r->slot, &e) ||
	    !g_registry.is_current(r->slot, e.generation))
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

extern "C" void mfg_core_each_swapped(const struct mfg_core_ctx *ctx, mfg_core_frame_fn fn, void *arg)
{
	TaskStack *s = table_stack(ctx);
	if (!s)
		return;
	for (u32 i = s->frames.depth(); i-- > 0;) {
		if (!is_swapped(s, i))
			continue;
		FrameView f = s->frames.frame(i);
		if (!fn(arg, f.retp(), f.ret_addr()))
			return;
	}
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
	if (g_killed.load_acquire()) {
		// Tracing stopped for good: nothing to publish; hand back the
		// map the kill took down, to free once the last user is gone.
		*err = n ? -ktl::err::kIo : 0;
		if (n)
			return nullptr;
		FuncMap *old = g_killed_map.load_relaxed();
		g_killed_map.store_relaxed(nullptr);
		return old;
	}
	// No user: no map, and the entry path stops at the first load.
	FuncMap *fresh = n ? FuncMap::create(local, n, err) : nullptr;
	if (n && !fresh)
		return nullptr;
	FuncMap *old = g_map.load_relaxed();
	// A kill may take the map down meanwhile: then publish nothing.
	if (!g_map.compare_exchange(old, fresh)) {
		FuncMap::destroy(fresh);
		*err = n ? -ktl::err::kIo : 0;
		return nullptr;
	}
	*err = 0;
	return old;
}

extern "C" void mfg_core_kill(const char *why)
{
	bool expected = false;
	if (!g_killed.compare_exchange(expected, true))
		return;
	// Entries stop at their first load of the map; returns still run.
	FuncMap *map = g_map.load_relaxed();
	while (!g_map.compare_exchange(map, nullptr)) {
	}
	g_killed_map.store_release(map);
	mfg_k_log(MFG_K_ERR, "tracing stopped for good: %s; unload and reload mfgraph", why);
}

extern "C" bool mfg_core_killed(void) { return g_killed.load_acquire(); }

extern "C" void mfg_core_revive(void)
{
	// The last unregistration freed the map the kill took down.
	if (!g_killed_map.load_relaxed())
		g_killed.store_release(false);
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
	TaskHash *tasks = TaskHash::create();
	StackPool *pool = StackPool::create(nr_cpus);
	if (!tasks || !pool) {
		TaskHash::destroy(tasks);
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
	g_tasks.store_release(tasks);
	g_pool.store_release(pool);
	return 0;
}

extern "C" bool mfg_core_stacks_started(void) { return g_tasks.load_relaxed() != nullptr; }

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

extern "C" bool mfg_core_task_freed(void *task)
{
	TaskHash *tasks = g_tasks.load_acquire();
	TaskStack *s = tasks ? tasks->find(task) : nullptr;
	if (!s)
		return false;
	// From here no lookup finds it, not even one by a new task that gets
	// this task_struct; the reap unlinks it under the glue's mutex. A reap
	// of idle stacks may have claimed it first: then it frees it.
	if (!TaskHash::claim(s, task))
		return false;
	uncache_task(task);
	push_stack(g_dead, s);
	return true;
}

extern "C" unsigned int mfg_core_reap(void (*collect)(void *stack, void *arg), void *arg, bool idle_too)
{
	TaskHash *tasks = g_tasks.load_relaxed();
	// Stacks given back unused were never linked.
	for (TaskStack *s = take_all(g_deferred), *next; s; s = next) {
		next = s->free_next;
		collect(s, arg);
	}
	for (TaskStack *s = take_all(g_dead), *next; s; s = next) {
		next = s->free_next;
		if (tasks)
			tasks->remove(s);
		g_stacks_in_use.fetch_add(~u32{0});
		collect(s, arg);
	}
	if (!tasks || !idle_too)
		return 0;
	// No hook and no user: only returns run, on stacks with frames, which
	// stay linked. A task whose last return runs meanwhile may cache the
	// stack it pops from: the glue clears the caches once no reader is
	// left (mfg_core_forget_stack()).
	unsigned int busy = 0;
	tasks->for_each_stack([&](TaskStack *s) {
		void *owner = ktl::read_once(s->owner);
		// A dead one is on g_dead: the next reap takes it.
		if (TaskHash::is_dead(s))
			return;
		if (!s->frames.empty()) {
			++busy;
			return;
		}
		// The task may exit right now: whoever claims the stack frees it.
		if (!TaskHash::claim(s, owner))
			return;
		tasks->remove(s);
		g_stacks_in_use.fetch_add(~u32{0});
		collect(s, arg);
	});
	return busy;
}

extern "C" void mfg_core_forget_stack(void *stack)
{
	for (u32 c = 0; g_stats && c < g_nr_cpus; c++) {
		CpuState &cpu = g_stats[c];
		if (ktl::read_once(cpu.cached_stack) == stack)
			ktl::write_once(cpu.cached_task, static_cast<const void *>(nullptr));
	}
}

// Hand a sleeping task's frames back to their callers: @restore puts a
// frame's real return address back where the trampoline's address is, and
// says whether it could. All or nothing: a first pass only asks whether
// every slot still holds the trampoline (another tracer that swapped the
// address again after us, or a return in progress, says no: then nothing
// is written), the second writes, outermost frame first, so that the task,
// if it runs meanwhile, returns through the trampoline only from frames
// above every restored one and always finds its own frame on top.
extern "C" int mfg_core_release_frames(void *task, mfg_core_restore_fn restore, void *arg)
{
	TaskHash *tasks = g_tasks.load_acquire();
	TaskStack *s = tasks ? tasks->find(task) : nullptr;
	if (!s || ktl::read_once(s->dispatch))
		return 0;
	const u32 depth = s->frames.depth();
	if (!depth)
		return 0;
	for (u32 d = 0; d < depth; d++) {
		const FrameView f = s->frames.frame(d);
		// A return popped it meanwhile: the task runs; try another time.
		if (!f.present() || !restore(arg, f.retp(), f.ret_addr(), false))
			return 0;
	}
	// From the first swap on, the stack must be dropped: every frame is
	// either restored or returned through by the task itself (it may have
	// read the trampoline's address just before the swap, and a swap that
	// finds the address gone or a frame popped means just that).
	for (u32 d = 0; d < depth; d++) {
		const FrameView f = s->frames.frame(d);
		if (!f.present())
			break;
		restore(arg, f.retp(), f.ret_addr(), true);
	}
	ktl::write_once(s->released, 1ul);
	return static_cast<int>(depth);
}

// No task is still in the trampoline for a frame released before: what is
// left of a released stack's frames will never be returned through.
extern "C" unsigned int mfg_core_drop_released(void)
{
	TaskHash *tasks = g_tasks.load_relaxed();
	unsigned int dropped = 0;
	if (!tasks)
		return 0;
	tasks->for_each_stack([&](TaskStack *s) {
		if (!s->released)
			return;
		for (; !s->frames.empty(); ++dropped)
			s->frames.pop();
		s->released = 0;
	});
	return dropped;
}

extern "C" void mfg_core_stacks_stop(void (*wait_readers)(void))
{
	TaskHash *t = g_tasks.load_relaxed();
	StackPool *p = g_pool.load_relaxed();
	g_tasks.store_release(nullptr);
	g_pool.store_release(nullptr);
	// mfg_stack_trace_save() and mfg_ret_addr() look the table up with no
	// user and no frame left: another module's unwinder may call them now.
	wait_readers();
	TaskHash::destroy(t);
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

extern "C" unsigned int mfg_core_for_each_frame(void (*fn)(void *arg, unsigned int nth, unsigned int depth,
							       unsigned long func),
						    void *arg)
{
	TaskHash *tasks = g_tasks.load_acquire();
	unsigned int busy = 0;
	if (!tasks)
		return 0;
	tasks->for_each_stack([&](TaskStack *s) {
		const u32 depth = s->frames.depth();
		if (TaskHash::is_dead(s) || !depth)
			return;
		for (u32 d = 0; d < depth; d++)
			fn(arg, busy, d, s->frames.frame(d).func());
		++busy;
	});
	return busy;
}

extern "C" void mfg_core_stack_stats(unsigned int *in_use, unsigned int *deepest)
{
	*in_use = g_stacks_in_use.load_relaxed();
	*deepest = g_deepest.load_relaxed();
}
