# Scenario: a task whose last frame popped but which has not yet left
# mfgraph's return path (preempted in the tail) when mfgraph unloads.
# mfgraph's unload must wait for it (tasks RCU). mfg_tail_test holds such
# a task there, spinning without sleeping, until the unload has started and
# one more second passed. Runs with mfgraph unloaded.
tail_param() { cat /sys/module/mfg_tail_test/parameters/$1; }
# release_sleepers_ms=0: the sleeper must return through the trampoline.
step "insmod mfgraph (return-path scenario)" insmod /mfg/mfgraph.ko release_sleepers_ms=0
step "insmod mfg_hold_test (traces hrtimer_nanosleep)" insmod /mfg/mfg_hold_test.ko
step "insmod mfg_tail_test" insmod /mfg/mfg_tail_test.ko
sleep 0.1
tail_param tail
step "a return through the trampoline showed its tail" grep -q '^mfg_return_trampoline' \
	/sys/module/mfg_tail_test/parameters/tail
# The sleeper enters hrtimer_nanosleep with the user registered: a frame. The
# user leaves first (the hook's unregistration waits for tasks RCU itself),
# then the sleeper returns through the trampoline and is held in its tail.
sleep 8 &
held=$!
sleep 0.5
step "rmmod mfg_hold_test with a call in flight" rmmod mfg_hold_test
step "arm the tail for the sleeper" sh -c "echo arm $held > /sys/module/mfg_tail_test/parameters/ctl"
i=0
while [ "$(tail_param stalling)" != Y ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
step "the sleeper is held in the return path, its frame popped" [ "$(tail_param stalling)" = Y ]
step "disarm" sh -c 'echo disarm > /sys/module/mfg_tail_test/parameters/ctl'
# The drain frees every stack; none holds a frame.
sleep 0.5
step "rmmod mfgraph with a task in its return path" rmmod mfgraph
wait $held
step "the unload started while the task was held" [ "$(tail_param saw_exit)" = Y ]
step "mfgraph's text stayed until the task left it" [ "$(tail_param went_under)" = N ]
step "rmmod mfg_tail_test" rmmod mfg_tail_test
