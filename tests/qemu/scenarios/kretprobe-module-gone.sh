# Scenario: a module unloads while mfg_kretprobes sit on its functions. As
# the kernel does for kprobes (kprobe_gone), those probes are gone: they
# never fire again, not even for a module loaded later at the same address;
# a probe registering while the module goes is refused; the other probes
# keep firing; unregistering them later is clean; and the module loaded
# again can be probed anew.
gone=/sys/module/mfg_krp_gone_test/parameters
target=/sys/module/mfg_krp_target/parameters
krp=/sys/kernel/debug/mfgraph/kretprobes
step "insmod mfgraph (gone-probe scenario)" insmod /mfg/mfgraph.ko
step "insmod mfg_kretprobe" insmod /mfg/mfg_kretprobe.ko
step "insmod mfg_krp_target" insmod /mfg/mfg_krp_target.ko
grep -E ' krp_mod_target_' /proc/kallsyms
step "insmod mfg_krp_gone_test (probes mfg_krp_target and hrtimer_nanosleep)" \
	insmod /mfg/mfg_krp_gone_test.ko
echo 1 > $target/call
step "the probes on mfg_krp_target fire" \
	test "$(cat $gone/inline_returns) $(cat $gone/pooled_returns) $(cat $gone/gone)" = "1 1 NNN"
cat $krp
step "rmmod mfg_krp_target with its functions probed" rmmod mfg_krp_target
cat $krp
step "its probes are gone, the other is not" test "$(cat $gone/gone)" = YYN
step "a probe registering as the module went was refused (-ENOENT)" test "$(cat $gone/late)" = -2
step "debugfs lists them as gone" \
	test "$(grep -cE '^krp_mod_target_(inline|pooled) .*\[gone\]$' $krp)" = 2
step "the gone pooled probe's pool is freed" grep -qE '^pools: 0 ' $krp
others=$(cat $gone/other_returns)
sleep 0.2
step "the other probe still fires" test "$(cat $gone/other_returns)" -gt "$others"
step "insmod mfg_krp_target again" insmod /mfg/mfg_krp_target.ko
grep -E ' krp_mod_target_' /proc/kallsyms
echo 2 > $target/call
step "the gone probes do not fire on the module loaded again" \
	test "$(cat $gone/inline_returns) $(cat $gone/pooled_returns)" = "1 1"
dmesg -c > /dev/null
step "rmmod mfg_krp_gone_test (unregisters the gone probes)" rmmod mfg_krp_gone_test
dmesg
step "unregistering them logged no error" \
	sh -c '! dmesg | grep -E "^(\[[ 0-9.]*\] )?(mfgraph|mfg_kretprobe): "'
step "insmod mfg_krp_gone_test again (probes the module loaded again)" \
	insmod /mfg/mfg_krp_gone_test.ko
echo 3 > $target/call
step "the new probes fire" \
	test "$(cat $gone/inline_returns) $(cat $gone/pooled_returns) $(cat $gone/gone)" = "1 1 NNN"
step "rmmod mfg_krp_gone_test" rmmod mfg_krp_gone_test
step "rmmod mfg_krp_target" rmmod mfg_krp_target
step "rmmod mfg_kretprobe (gone scenario)" rmmod mfg_kretprobe
sleep 1
step "rmmod mfgraph (gone scenario)" rmmod mfgraph
