# Scenario: a non-leader thread execs while it has a traced call outstanding
# (begin_new_exec, which runs de_thread(): the thread takes the leader's pid
# inside it). Its return must find the thread's own shadow stack: stacks
# follow the task, not its pid. Siblings read /proc meanwhile (proc_tgid_stat is
# traced too), so that the per-CPU stack cache is overwritten and the return
# path has to look the task up.
step "insmod mfgraph (exec scenario)" insmod /mfg/mfgraph.ko
step "insmod mfg_hold_test tracing begin_new_exec and proc_tgid_stat" \
	insmod /mfg/mfg_hold_test.ko func=begin_new_exec,proc_tgid_stat
step "threads exec, two processes at once" sh -c \
	'/mfg/thread_exec 20 & a=$!; /mfg/thread_exec 20; r=$?; wait $a && [ $r = 0 ]'
# The shell's own read: a cat would exec, and begin_new_exec is traced.
read entries < /sys/module/mfg_hold_test/parameters/entries
read returns < /sys/module/mfg_hold_test/parameters/returns
echo "exec scenario: $entries entries, $returns returns"
step "every traced call returned to the user (entries == returns > 0)" \
	[ "$entries" -gt 0 -a "$entries" = "$returns" ]
step "rmmod mfg_hold_test (exec scenario)" rmmod mfg_hold_test
sleep 0.5
mfg_stats "exec scenario"
step "rmmod mfgraph (exec scenario)" rmmod mfgraph
