# Scenario (debug kernels, which have fault injection): allocation failures
# injected into mfgraph's filter changes and registration, one allocation
# after another (/proc/self/fail-nth: the N-th allocation of the writing
# task fails, in the open of the parameter file or in mfgraph). Every
# attempt either works or fails whole: the user is registered or not, its
# filter is the old or the new one, ftrace hooks exactly what mfgraph says,
# and in the end nothing is held and (the runner's kmemleak scan) nothing
# leaked.
fi_tr=/sys/kernel/tracing
fi_dbg=/sys/kernel/debug/mfgraph
fi_p=/sys/module/mfg_hold_test/parameters
if [ ! -e /proc/self/fail-nth ] || [ ! -d /sys/kernel/debug/failslab ]; then
	echo "fault injection scenario: this kernel has no fault injection (the debug kernels do)"
	return 0 2>/dev/null || exit 0
fi
mount -t tracefs nodev $fi_tr 2>/dev/null
# Slab allocations that may sleep may fail too, without a stack dump each.
# (Page allocations are left alone: a failed one prints a warning with a
# backtrace, which the judge rightly counts as a failure.)
echo N > /sys/kernel/debug/failslab/ignore-gfp-wait
echo 0 > /sys/kernel/debug/failslab/verbose
fi_functions() { sed -n 's/^functions: //p' $fi_dbg/stats; }
# What mfgraph says is what ftrace hooks.
fi_consistent() {
	n=$(fi_functions)
	hooked=$(wc -l < $fi_tr/enabled_functions)
	[ "$n" = "$hooked" ] || { echo "mfgraph: $n functions, ftrace hooks $hooked"; return 1; }
}
# Write $2 to parameter $1 with the $3-th allocation failing; 0 if it worked.
fi_write() { sh -c "echo $3 > /proc/self/fail-nth && echo '$2' > $fi_p/$1" 2>/dev/null; }

step "insmod mfgraph (fault injection scenario)" insmod /mfg/mfgraph.ko
fi_base=$(sed -n 's/^bytes_held: //p' $fi_dbg/stats)
step "insmod mfg_hold_test on hrtimer_nanosleep" insmod /mfg/mfg_hold_test.ko func=hrtimer_nanosleep
fi_failed=0 fi_ok=0 fi_bad=0 n=1
while [ $n -le 60 ]; do
	# Alternate between two filters: each change is a real one.
	if [ $((n % 2)) = 1 ]; then glob='=vfs_read*'; else glob='=hrtimer_nanosleep'; fi
	if fi_write filter "$glob" $n; then fi_ok=$((fi_ok + 1)); else fi_failed=$((fi_failed + 1)); fi
	fi_consistent || fi_bad=$((fi_bad + 1))
	n=$((n + 1))
done
echo "filter changes with an allocation failing: $fi_ok worked, $fi_failed failed, $fi_bad inconsistent"
step "filter changes: some failed, some worked, all consistent" \
	[ $fi_failed -gt 0 -a $fi_ok -gt 0 -a $fi_bad = 0 ]
fi_failed=0 fi_ok=0 fi_bad=0 n=1
while [ $n -le 60 ]; do
	echo 0 > $fi_p/registered
	grep -qx 'users: 0' $fi_dbg/stats && grep -qx 'hook: off' $fi_dbg/stats || fi_bad=$((fi_bad + 1))
	if fi_write registered 1 $n; then
		fi_ok=$((fi_ok + 1))
		grep -qx 'users: 1' $fi_dbg/stats || fi_bad=$((fi_bad + 1))
	else
		fi_failed=$((fi_failed + 1))
		# A failed registration leaves nothing behind; register for real.
		grep -qx 'users: 0' $fi_dbg/stats || fi_bad=$((fi_bad + 1))
		echo 1 > $fi_p/registered || fi_bad=$((fi_bad + 1))
	fi
	fi_consistent || fi_bad=$((fi_bad + 1))
	n=$((n + 1))
done
echo "registrations with an allocation failing: $fi_ok worked, $fi_failed failed, $fi_bad inconsistent"
step "registrations: some failed, some worked, all consistent" \
	[ $fi_failed -gt 0 -a $fi_ok -gt 0 -a $fi_bad = 0 ]
fi_e=$(cat $fi_p/entries)
sleep 0.05
step "the user still traces after it all" [ "$(cat $fi_p/entries)" -gt "$fi_e" ]
step "rmmod mfg_hold_test (fault injection scenario)" rmmod mfg_hold_test
sleep 1
mfg_stats "fault injection scenario"
step "everything held is given back" grep -qx "bytes_held: $fi_base" $fi_dbg/stats
step "rmmod mfgraph (fault injection scenario)" rmmod mfgraph
echo Y > /sys/kernel/debug/failslab/ignore-gfp-wait
