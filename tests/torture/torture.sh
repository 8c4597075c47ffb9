# Torture scenario (tests/torture/, docs/testing.md), sourced by the guest's
# /init: real workloads while mfg_torture.ko registers, unregisters and
# refilters users on every vCPU. /mfg/torture.conf sets TORTURE_DURATION
# (seconds per workload) and TORTURE_WORKLOADS.
. /mfg/torture.conf
tt_stats=/sys/kernel/debug/mfgraph/stats
tt_cpu1=/sys/devices/system/cpu/cpu1/online
tt_tr=/sys/kernel/tracing

tt_stat() { sed -n "s/^$1: //p" $tt_stats; }

# Run "$@" again and again for TORTURE_DURATION seconds.
tt_loop() {
	tt_end=$(($(date +%s) + TORTURE_DURATION))
	while [ "$(date +%s)" -lt $tt_end ]; do "$@"; done
}

tt_forks() { (:); (exit 3); echo x | cat >/dev/null; sh -c 'exit 0'; }
tt_reads() { cat /proc/self/stat /proc/uptime >/dev/null; }
tt_sleeps() { sleep 0.01; usleep 2000; }
tt_exec() { /mfg/exec_chain 10 3 || echo "exec_chain failed: $?"; }
tt_modload() {
	insmod /mfg/mfg_torture_target.ko || echo "insmod mfg_torture_target failed"
	usleep 50000
	rmmod mfg_torture_target || echo "rmmod mfg_torture_target failed"
}
tt_hotplug() {
	echo 0 > $tt_cpu1 || echo "cpu1 offline failed"
	usleep 200000
	echo 1 > $tt_cpu1 || echo "cpu1 online failed"
	usleep 200000
}

# The workload's load, two of each so that both vCPUs run it.
tt_load() {
	case $1 in
	fork) tt_loop tt_forks & tt_loop tt_forks & ;;
	exec) tt_loop tt_exec & tt_loop tt_exec & ;;
	module) tt_loop tt_modload & tt_loop tt_forks & ;;
	hotplug) tt_loop tt_hotplug & tt_loop tt_forks & tt_loop tt_reads & tt_loop tt_sleeps & ;;
	star | starplain | selftrace) tt_loop tt_forks & tt_loop tt_reads & ;;
	krp) tt_loop tt_sleeps & tt_loop tt_sleeps & tt_loop tt_sleeps & ;;
	ftrace) tt_loop tt_sleeps & tt_loop tt_sleeps & tt_loop tt_forks & tt_loop tt_reads & ;;
	esac
	wait
}

# The kernel's function_graph tracer and kretprobes (kprobe_events) on the
# functions mfg_torture's ftrace workload traces too.
tt_ftrace_on() {
	mount -t tracefs nodev $tt_tr 2>/dev/null
	echo > $tt_tr/trace &&
	echo 'hrtimer_nanosleep do_nanosleep vfs_read copy_process' > $tt_tr/set_ftrace_filter &&
	echo 'hrtimer_nanosleep vfs_read copy_process' > $tt_tr/set_graph_function &&
	echo 'r:mfgt/nsleep hrtimer_nanosleep ret=$retval' >> $tt_tr/kprobe_events &&
	echo 'r:mfgt/vread vfs_read ret=$retval' >> $tt_tr/kprobe_events &&
	echo 1 > $tt_tr/events/mfgt/enable &&
	echo function_graph > $tt_tr/current_tracer &&
	echo 1 > $tt_tr/tracing_on
}

tt_ftrace_off() {
	# Read the buffer first: changing current_tracer empties it.
	echo 0 > $tt_tr/tracing_on
	echo 0 > $tt_tr/events/mfgt/enable
	tt_graph=$(grep -c 'hrtimer_nanosleep\|vfs_read\|copy_process' $tt_tr/trace)
	tt_kret=$(grep -c 'nsleep:\|vread:' $tt_tr/trace)
	tt_hits=$(awk '/nsleep|vread/ { n += $2 } END { print n + 0 }' $tt_tr/kprobe_profile)
	echo nop > $tt_tr/current_tracer
	echo > $tt_tr/kprobe_events
	echo > $tt_tr/set_ftrace_filter
	echo > $tt_tr/set_graph_function
	echo > $tt_tr/trace
	echo "MFG-TORTURE: ftrace (kernel side): function_graph lines=$tt_graph kretprobe events=$tt_kret hits=$tt_hits"
	[ "$tt_graph" -gt 0 ] && [ "$tt_kret" -gt 0 ] && [ "$tt_hits" -gt 0 ]
}

tt_result() {
	tt_line=$(cat /sys/kernel/debug/mfg_torture/result) || return 1
	echo "$tt_line"
	case $tt_line in *": ok") return 0 ;; esac
	return 1
}

step "torture: insmod mfgraph" insmod /mfg/mfgraph.ko
step "torture: insmod mfg_kretprobe" insmod /mfg/mfg_kretprobe.ko
tt_idle=$(tt_stat bytes_held)
echo "MFG-TORTURE: idle: bytes_held=$tt_idle, ${TORTURE_DURATION}s per workload: $TORTURE_WORKLOADS"
# Where the modules are, to read a hang's addresses (QEMU's gdbstub) later.
grep mfg /proc/modules
for tt_w in $TORTURE_WORKLOADS; do
	echo "MFG-RUNNER: torture workload $tt_w"
	step "torture $tt_w: insmod mfg_torture" \
		insmod /mfg/mfg_torture.ko workload=$tt_w duration=$((TORTURE_DURATION + 30)) ||
		continue
	if [ $tt_w = ftrace ]; then
		step "torture ftrace: function_graph and kprobe_events on" tt_ftrace_on
	fi
	tt_load $tt_w
	if [ $tt_w = ftrace ]; then
		step "torture ftrace: the kernel's tracers saw calls" tt_ftrace_off
	fi
	if [ $tt_w = hotplug ]; then
		echo 1 > $tt_cpu1
		step "torture hotplug: cpu1 online at the end" grep -qx 1 $tt_cpu1
	fi
	# Not inside step: its $(...) leaves /init blocked in vfs_read on a
	# pipe, a call the steady users see enter and never return.
	echo stop > /sys/kernel/debug/mfg_torture/stop
	step "torture $tt_w: every user consistent, steady users balanced" tt_result
	step "torture $tt_w: rmmod mfg_torture" rmmod mfg_torture
	grep -E '^(users|stacks_in_use|bytes_held|miss_[a-z_]+):' $tt_stats | tr '\n' ' '
	echo
done
step "torture: rmmod mfg_kretprobe" rmmod mfg_kretprobe

# Every stack goes back once the last user left: the drain looks every
# 100 ms; give it a few seconds under TCG.
tt_i=0
while [ $tt_i -lt 50 ] && { [ "$(tt_stat stacks_in_use)" != 0 ] ||
			    [ "$(tt_stat bytes_held)" != "$tt_idle" ]; }; do
	usleep 100000
	tt_i=$((tt_i + 1))
done
grep -E '^(users|stacks_in_use|bytes_held):' $tt_stats | tr '\n' ' '
cat /sys/kernel/debug/mfgraph/stacks
echo
step "torture: stacks_in_use 0 after the last user left" grep -qx 'stacks_in_use: 0' $tt_stats
step "torture: bytes_held back to the idle $tt_idle" grep -qx "bytes_held: $tt_idle" $tt_stats
step "torture: rmmod mfgraph at the end" rmmod mfgraph
if [ -e /sys/kernel/debug/kmemleak ]; then
	# Objects younger than 5 s are never reported: let ours age first.
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	step "torture: no kmemleak report about mfgraph" \
		sh -c '! grep -q "mfg" /sys/kernel/debug/kmemleak'
fi
