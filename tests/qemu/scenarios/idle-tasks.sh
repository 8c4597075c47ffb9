# Scenario: the idle tasks (swapper/N, pid 0, never exiting, on no task
# list) in a traced call with a user that wants returns. schedule_idle() is
# where an idle task switches out whenever its CPU gets work, and it returns
# from there when the CPU goes idle again: while the shell runs, its CPU's
# idle task holds a frame. Once the last user is gone, mfgraph must wait
# for those frames (an idle task's frames are never handed back) and free
# the idle tasks' stacks, which no task exit frees; then rmmod mfgraph
# succeeds. The KUnit case sched_idle_tasks checks every return.
#
# schedule_idle's call site is rewritten only while a busy loop on each CPU
# keeps the idle tasks off it (x86_64 under multi-threaded TCG has run a
# stale int3 at a call site being rewritten under another vCPU: see
# docs/design.md, "Test harness caveat"), and never as the hook's last
# function, which waits for tasks RCU: the user also traces
# hrtimer_nanosleep, which stays.
# Runs in the guest's /init after the suites, with mfgraph unloaded.
idle_fn=schedule_idle
idle_hogs_start() {
	idle_hogs=""
	for i in 1 2; do
		( while :; do :; done ) &
		idle_hogs="$idle_hogs $!"
	done
	# Let the scheduler put one on each CPU.
	sleep 1
}
idle_hogs_stop() {
	kill $idle_hogs
	wait $idle_hogs 2>/dev/null
}
if grep -qx "$idle_fn" /sys/kernel/debug/tracing/available_filter_functions 2>/dev/null; then
	step "insmod mfgraph (idle scenario)" insmod /mfg/mfgraph.ko release_sleepers_ms=0
	idle_hogs_start
	step "insmod mfg_hold_test (traces $idle_fn)" insmod /mfg/mfg_hold_test.ko \
		func=$idle_fn,hrtimer_nanosleep
	idle_hogs_stop
	sleep 2
	idle_entries=$(cat /sys/module/mfg_hold_test/parameters/entries)
	idle_returns=$(cat /sys/module/mfg_hold_test/parameters/returns)
	echo "idle scenario: $idle_entries entries, $idle_returns returns"
	step "the idle tasks entered and returned from $idle_fn" \
		[ "$idle_entries" -gt 0 -a "$idle_returns" -gt 0 ]
	# The grep runs on a CPU whose idle task switched out inside the call.
	step "an idle task holds a frame in $idle_fn while its CPU runs" \
		grep -q "$idle_fn" /sys/kernel/debug/mfgraph/stacks
	idle_hogs_start
	step "$idle_fn leaves the filter with idle frames outstanding" \
		sh -c "echo -$idle_fn > /sys/module/mfg_hold_test/parameters/filter"
	idle_hogs_stop
	step "rmmod mfg_hold_test (the last user)" rmmod mfg_hold_test
	step "the drain frees every stack, the idle tasks' too, within 10 s" sh -c \
		'for i in $(seq 40); do grep -qx "stacks_in_use: 0" /sys/kernel/debug/mfgraph/stats && exit 0; sleep 0.25; done; exit 1'
	grep -E '^(users|stacks_in_use|miss_return_mismatch|miss_stale_returns):' /sys/kernel/debug/mfgraph/stats
	step "no return mismatched" grep -qx "miss_return_mismatch: 0" /sys/kernel/debug/mfgraph/stats
	mfg_stats "idle scenario"
	step "rmmod mfgraph after the idle tasks' frames returned" sh -c \
		'for i in $(seq 40); do /bin/busybox rmmod mfgraph 2>/dev/null && exit 0; sleep 0.25; done; exit 1'
else
	step_skip "idle tasks in a traced call" "$idle_fn is not in available_filter_functions"
fi
