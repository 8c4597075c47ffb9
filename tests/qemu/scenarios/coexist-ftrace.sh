# Scenario: the kernel's function_graph tracer and a kretprobe event (and,
# where the kernel has fprobe events, an fprobe exit event) on
# hrtimer_nanosleep at the same time as an mfgraph user and an
# mfg_kretprobe: every tracer sees every call, calls in flight return
# through both kinds of trampoline while either side comes or goes, and
# every sleeper exits 0.
cx_tr=/sys/kernel/tracing
cx_calls=10
mount -t tracefs nodev $cx_tr 2>/dev/null
cx_param() { read cx_v < /sys/module/$1/parameters/$2; echo $cx_v; }
cx_fprobe=
[ -e $cx_tr/dynamic_events ] && grep -q 'f\[:' $cx_tr/README && cx_fprobe=1
cx_kernel_on() {
	echo > $cx_tr/trace &&
	echo hrtimer_nanosleep > $cx_tr/set_ftrace_filter &&
	echo hrtimer_nanosleep > $cx_tr/set_graph_function &&
	echo 'r:mfgc/nsleep hrtimer_nanosleep ret=$retval' >> $cx_tr/kprobe_events &&
	if [ -n "$cx_fprobe" ]; then
		echo 'f:mfgc/fsleep hrtimer_nanosleep%return ret=$retval' >> $cx_tr/dynamic_events
	fi &&
	echo 1 > $cx_tr/events/mfgc/enable &&
	echo function_graph > $cx_tr/current_tracer &&
	echo 1 > $cx_tr/tracing_on
}
# Stop the kernel's tracers and count what they saw (not in a step: its
# subshell would lose the counts).
cx_kernel_count() {
	echo 0 > $cx_tr/tracing_on
	echo 0 > $cx_tr/events/mfgc/enable
	# Read the buffer first: changing current_tracer empties it.
	cx_graph=$(grep -c 'hrtimer_nanosleep()' $cx_tr/trace)
	cx_kret=$(grep -c ' nsleep: ' $cx_tr/trace)
	cx_fexit=$(grep -c ' fsleep: ' $cx_tr/trace)
	echo "kernel tracers: function_graph $cx_graph, kretprobe $cx_kret, fprobe ${cx_fprobe:+$cx_fexit}${cx_fprobe:-none}"
	grep -m 3 'sleep: ' $cx_tr/trace
}
# Leave tracefs as the next scenario expects it: nothing traced, the ring
# buffer on (graph-*.sh read mfg_graph's events from it).
cx_kernel_off() {
	echo 1 > $cx_tr/tracing_on &&
	echo nop > $cx_tr/current_tracer &&
	echo > $cx_tr/dynamic_events &&
	echo > $cx_tr/set_ftrace_filter &&
	echo > $cx_tr/set_graph_function &&
	echo > $cx_tr/trace
}
# Wait up to 10 s until $1's user has exactly one call in flight.
cx_one_in_flight() {
	i=0
	while [ $i -lt 100 ]; do
		[ $(($(cx_param $1 entries) - $(cx_param $1 returns))) = 1 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# $cx_calls short sleeps, each of which must exit 0.
cx_sleeps() {
	i=0
	while [ $i -lt $cx_calls ]; do sleep 0.02 || return 1; i=$((i + 1)); done
}
step "insmod mfgraph (coexistence scenario)" insmod /mfg/mfgraph.ko
step "insmod mfg_kretprobe (coexistence scenario)" insmod /mfg/mfg_kretprobe.ko
step "function_graph, a kretprobe event${cx_fprobe:+ and an fprobe event} on hrtimer_nanosleep" \
	cx_kernel_on
# A call in flight under the kernel's tracers while mfgraph's users come.
sleep 10 &
cx_long=$!
sleep 0.5
step "an mfgraph user on hrtimer_nanosleep" \
	insmod /mfg/mfg_hold_test.ko func=hrtimer_nanosleep
step "an mfg_kretprobe on hrtimer_nanosleep" \
	insmod /mfg/mfg_krp_hold_test.ko func=hrtimer_nanosleep
# And one under all of them while the kernel's tracers go.
sleep 8 &
cx_mid=$!
step "a call in flight for the mfgraph user" cx_one_in_flight mfg_hold_test
step "and for the mfg_kretprobe" cx_one_in_flight mfg_krp_hold_test
cx_e0=$(cx_param mfg_hold_test entries)
cx_r0=$(cx_param mfg_hold_test returns)
cx_ke0=$(cx_param mfg_krp_hold_test entries)
cx_kr0=$(cx_param mfg_krp_hold_test returns)
step "$cx_calls sleeps under every tracer at once exit 0" cx_sleeps
step "mfgraph user: $cx_calls more entries and returns, one call in flight" \
	sh -c "[ $(cx_param mfg_hold_test entries) = $((cx_e0 + cx_calls)) ] &&
	       [ $(cx_param mfg_hold_test returns) = $((cx_r0 + cx_calls)) ] &&
	       [ $((cx_e0 - cx_r0)) = 1 ]"
step "mfg_kretprobe: the same" \
	sh -c "[ $(cx_param mfg_krp_hold_test entries) = $((cx_ke0 + cx_calls)) ] &&
	       [ $(cx_param mfg_krp_hold_test returns) = $((cx_kr0 + cx_calls)) ] &&
	       [ $((cx_ke0 - cx_kr0)) = 1 ]"
cx_kernel_count
step "the kernel's tracers off with mfgraph's calls in flight" cx_kernel_off
step "function_graph saw every sleep (the one in flight since before too)" \
	[ "$cx_graph" -ge $((cx_calls + 1)) ]
step "the kretprobe event saw every return" [ "$cx_kret" -ge "$cx_calls" ]
if [ -n "$cx_fprobe" ]; then
	step "the fprobe exit event saw every return" [ "$cx_fexit" -ge "$cx_calls" ]
fi
wait $cx_long
cx_rc=$?
step "the call in flight since before mfgraph's users came returned (exit 0)" [ $cx_rc = 0 ]
wait $cx_mid
cx_rc=$?
step "the call in flight while the kernel's tracers went returned (exit 0)" [ $cx_rc = 0 ]
step "mfgraph's users saw the return of the call in flight: entries == returns" \
	sh -c "[ $(cx_param mfg_hold_test entries) = $(cx_param mfg_hold_test returns) ] &&
	       [ $(cx_param mfg_krp_hold_test entries) = $(cx_param mfg_krp_hold_test returns) ]"
# The other way round: the kernel's tracers come while mfgraph's calls are
# in flight, and mfgraph's users go while the kernel's are.
sleep 3 &
cx_mid=$!
sleep 0.5
step "the kernel's tracers on again, over mfgraph's call in flight" cx_kernel_on
sleep 3 &
cx_late=$!
sleep 0.5
step "rmmod mfg_krp_hold_test under the kernel's tracers" rmmod mfg_krp_hold_test
step "rmmod mfg_hold_test under the kernel's tracers" rmmod mfg_hold_test
step "rmmod mfg_kretprobe (coexistence scenario)" rmmod mfg_kretprobe
step "$cx_calls sleeps under the kernel's tracers alone exit 0" cx_sleeps
wait $cx_mid
cx_rc=$?
step "the call in flight since before the kernel's tracers returned (exit 0)" [ $cx_rc = 0 ]
wait $cx_late
cx_rc=$?
step "the call in flight under both when mfgraph's users went returned (exit 0)" [ $cx_rc = 0 ]
cx_kernel_count
step "the kernel's tracers off" cx_kernel_off
step "function_graph saw them" [ "$cx_graph" -ge "$cx_calls" ]
step "the kretprobe event saw them" [ "$cx_kret" -ge "$cx_calls" ]
sleep 1
mfg_stats "coexistence scenario"
step "rmmod mfgraph (coexistence scenario)" rmmod mfgraph
