# Scenario: tasks asleep in traced calls must not keep mfgraph loaded after
# its last user left. mfgraph hands their frames back to their callers (the
# real return addresses go back where the trampoline's address is: the
# return slot on x86_64, the frame record, re-signed with the task's
# pointer-authentication key, on arm64), so rmmod succeeds while they still
# sleep, and each returns straight to its caller later.
# Runs in the guest's /init after the suites, with mfgraph unloaded.
step "insmod mfgraph (release scenario)" insmod /mfg/mfgraph.ko release_sleepers_ms=300
# schedule() too, as "*" would: every task that sleeps meanwhile, kernel
# threads included, gets a frame there, below hrtimer_nanosleep's and
# do_nanosleep's for the sleeper.
step "insmod mfg_hold_test (nanosleep and schedule)" insmod /mfg/mfg_hold_test.ko \
	func=hrtimer_nanosleep,do_nanosleep,schedule
sleep 20 &
sleeper=$!
sleep 1
step "rmmod mfg_hold_test with calls in flight" rmmod mfg_hold_test
step "rmmod mfgraph succeeds within 12 s, sleepers still asleep" sh -c \
	'for i in $(seq 48); do /bin/busybox rmmod mfgraph 2>/dev/null && exit 0; sleep 0.25; done; exit 1'
step "the sleeper is still asleep in the handed-back calls" kill -0 "$sleeper"
wait "$sleeper"
sleeper_rc=$?
# Three frames went back: a wrong address would not get here and exit 0.
step "the sleeper returned to its callers (exit status 0)" [ "$sleeper_rc" = 0 ]
