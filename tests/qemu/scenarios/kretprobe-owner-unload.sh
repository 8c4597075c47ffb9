# Scenario: the owner of an mfg_kretprobe unloads while a call of the probed
# function is in flight. Its handler must not run for that call, and
# everything unloads once the call has returned.
# release_sleepers_ms=0: the sleeper must return through the trampoline.
step "insmod mfgraph (kretprobe scenario)" insmod /mfg/mfgraph.ko release_sleepers_ms=0
step "insmod mfg_kretprobe" insmod /mfg/mfg_kretprobe.ko
step "insmod mfg_krp_hold_test (probes hrtimer_nanosleep)" insmod /mfg/mfg_krp_hold_test.ko
# Long enough to outlast the unregistration below, which takes seconds
# under the debug kernels on a loaded host: a sleeper that returned before
# mfg_kretprobe's mfgraph user went would not be a stale return.
sleep 8 &
sleeper=$!
sleep 1
cat /sys/kernel/debug/mfgraph/kretprobes
step "debugfs lists the probe, its hits and its instances" \
	grep -qE '^hrtimer_nanosleep +[1-9][0-9]* +0 +shadow stack' /sys/kernel/debug/mfgraph/kretprobes
step "rmmod mfg_krp_hold_test with a call in flight" rmmod mfg_krp_hold_test
step "rmmod mfg_kretprobe" rmmod mfg_kretprobe
wait $sleeper
sleeper_rc=$?
# A frame that returned anywhere but to its caller would not exit 0.
step "the sleeper returned through the trampoline (exit status 0)" [ "$sleeper_rc" = 0 ]
grep -E '^(users|stacks_in_use|miss_stale_returns):' /sys/kernel/debug/mfgraph/stats
step "its return reached nobody" \
	grep -qE '^miss_stale_returns: [1-9]' /sys/kernel/debug/mfgraph/stats
sleep 1
mfg_stats "kretprobe scenario"
step "rmmod mfgraph after the drain" rmmod mfgraph
