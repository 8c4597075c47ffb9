# Scenario: mfgraph must refuse to unload while a task still has a frame
# that returns through its trampoline, and unload once that task returned.
# Runs in the guest's /init after the suites, with mfgraph unloaded.
# release_sleepers_ms=0: wait for the sleeper, never hand its frame back
# (release-sleepers.sh covers that).
step "insmod mfgraph (unload scenario)" insmod /mfg/mfgraph.ko release_sleepers_ms=0
step "insmod mfg_hold_test (traces hrtimer_nanosleep)" insmod /mfg/mfg_hold_test.ko
# This sleep enters hrtimer_nanosleep with the user registered: a frame. It
# must outlast the rmmod below, which waits for tasks RCU (seconds on the
# debug kernels under TCG).
sleep 8 &
sleeper=$!
sleep 1
# The user leaves (its module unloads) while the sleeper is still inside.
step "rmmod mfg_hold_test with a call in flight" rmmod mfg_hold_test
# Give the drain time to free every stack it can: only the sleeper's stays.
sleep 0.5
grep -E '^(users|stacks_in_use|miss_stale_returns):' /sys/kernel/debug/mfgraph/stats
step "no user, one stack still holds a frame" sh -c \
	"grep -qx 'users: 0' /sys/kernel/debug/mfgraph/stats &&
	 grep -qE '^stacks_in_use: [1-9]' /sys/kernel/debug/mfgraph/stats"
step_fails "rmmod mfgraph refused while a frame is outstanding" rmmod mfgraph
wait $sleeper
sleeper_rc=$?
# A frame that returned anywhere but to its caller would not exit 0.
step "the sleeper returned through the trampoline (exit status 0)" [ "$sleeper_rc" = 0 ]
# The drain looks again every 100 ms.
sleep 1
grep -E '^(users|stacks_in_use|miss_stale_returns):' /sys/kernel/debug/mfgraph/stats
step "the stale return was skipped, not delivered" \
	grep -qE '^miss_stale_returns: [1-9]' /sys/kernel/debug/mfgraph/stats
mfg_stats "unload scenario"
step "rmmod mfgraph after the drain" rmmod mfgraph
