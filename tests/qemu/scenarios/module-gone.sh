# Scenario: a module whose functions users filter on unloads, fails to load,
# or drops its init text. Its functions must leave every filter (registered
# users' and not), the engine must keep taking users, and a module loaded
# later at the same address must not be traced for a user that never asked.
# Runs in the guest's /init after the suites, with mfgraph unloaded.
gone_ctl() { echo "$*" > /sys/module/mfg_gone_test/parameters/ctl; }
gone_calls() { cat /sys/module/mfg_gone_test/parameters/$1_calls; }
gone_call() { echo "$1" > /sys/module/mfg_gone_target/parameters/call; }
gone_addr() { grep -E ' mfg_gone_target_fn\b' /proc/kallsyms | cut -d' ' -f1; }
gone_is() { [ "$(gone_calls $1)" = "$2" ] || { echo "$1 saw $(gone_calls $1) calls, not $2"; return 1; }; }
# Load the target with its init held; $1: extra parameters.
gone_hold() {
	insmod /mfg/mfg_gone_target.ko hold_init=1 $1 &
	gone_pid=$!
	i=0
	while [ ! -e /sys/module/mfg_gone_target/parameters/release ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
# busybox insmod retries a failed finit_module() with init_module(): release every try.
gone_release() {
	while kill -0 $gone_pid 2>/dev/null; do
		echo 1 > /sys/module/mfg_gone_target/parameters/release 2>/dev/null
		sleep 0.1
	done
	wait $gone_pid
}

step "insmod mfgraph (module-gone scenario)" insmod /mfg/mfgraph.ko
step "insmod mfg_gone_target" insmod /mfg/mfg_gone_target.ko
step "insmod mfg_gone_test" insmod /mfg/mfg_gone_test.ko
step "a filters on the target's function" gone_ctl a filter mfg_gone_target_fn
step "a registers" gone_ctl a register
step "c filters on it too, unregistered" gone_ctl c filter mfg_gone_target_fn
gone_call 5
step "a saw the target's 5 calls" gone_is a 5
old=$(gone_addr)
step "rmmod mfg_gone_target" rmmod mfg_gone_target
cat /sys/kernel/debug/mfgraph/users
step "a's filter is empty now" grep -qE ' 0 functions$' /sys/kernel/debug/mfgraph/users
step "b filters on hrtimer_nanosleep" gone_ctl b filter hrtimer_nanosleep
step "b registers after the target went" gone_ctl b register
sleep 0.1
step "b sees its calls" sh -c '[ "$(cat /sys/module/mfg_gone_test/parameters/b_calls)" -gt 0 ]'
cat /sys/kernel/debug/mfgraph/stats
step "the hook holds b's one function" grep -qx 'functions: 1' /sys/kernel/debug/mfgraph/stats
step "reload mfg_gone_target" insmod /mfg/mfg_gone_target.ko
# Where it lands is the allocator's choice: a few more tries at the old place.
i=0
while [ "$(gone_addr)" != "$old" ] && [ $i -lt 4 ]; do
	rmmod mfg_gone_target && insmod /mfg/mfg_gone_target.ko
	i=$((i + 1))
done
echo "mfg_gone_target_fn was at $old, is at $(gone_addr) after $i reloads"
gone_call 5
step "a sees none of the new module's calls" gone_is a 5
step "c registers" gone_ctl c register
gone_call 5
step "c sees none of the new module's calls" gone_is c 0
step "a filters on the new module's function" gone_ctl a filter mfg_gone_target_fn
gone_call 3
step "a sees the new module's calls" gone_is a 8
step "rmmod mfg_gone_target again" rmmod mfg_gone_target

# A filter set while the module is COMING, on its init text: gone once it is live.
gone_hold
step "d filters on the held module's init function" gone_ctl d filter mfg_gone_target_init_fn
gone_release
step "the held load finished" [ $? = 0 ]
step "d registers after the init text went" gone_ctl d register
step "rmmod mfg_gone_target (held load)" rmmod mfg_gone_target
# A filter set while the module is COMING, whose load then fails.
gone_hold fail_init=1
step "e filters on the function of a module still loading" gone_ctl e filter mfg_gone_target_fn
gone_release
step_fails "the failing load failed" [ $? = 0 ]
step "e registers after the failed load" gone_ctl e register
cat /sys/kernel/debug/mfgraph/users
step "only b's filter holds a function" sh -c \
	'[ "$(grep -c " 0 functions$" /sys/kernel/debug/mfgraph/users)" = 4 ] &&
	 [ "$(grep -c " 1 functions$" /sys/kernel/debug/mfgraph/users)" = 1 ]'
for u in a b c d e; do gone_ctl $u unregister; gone_ctl $u free; done
step "rmmod mfg_gone_test" rmmod mfg_gone_test
sleep 0.5
step "rmmod mfgraph after the module-gone scenario" rmmod mfgraph
