# Scenario: a registered user's filter changes at runtime, and mfgraph's
# debugfs files and ftrace's own list of hooked functions (tracefs
# enabled_functions) say the same: one function, none after the last one
# is removed (an empty filter traces nothing: the hook is off, not on for
# every function), a glob of many, "*", and empty again. The user is
# entry-only: with "*", a return-wanting user leaves frames in tasks that
# sleep long in schedule(), and mfgraph cannot unload until they run
# (docs/testing.md).
fr_tr=/sys/kernel/tracing
fr_dbg=/sys/kernel/debug/mfgraph
fr_filter=/sys/module/mfg_hold_test/parameters/filter
mount -t tracefs nodev $fr_tr 2>/dev/null
# How many functions ftrace calls a callback for (nothing else traces now).
fr_hooked() { wc -l < $fr_tr/enabled_functions; }
fr_count() { read fr_n < /sys/module/mfg_hold_test/parameters/$1; echo $fr_n; }
# stats says hook $1 and functions $2; users says $3 for the user; ftrace
# hooks $4 functions ("many": more than 1000).
fr_check() {
	cat $fr_dbg/stats $fr_dbg/users
	hooked=$(fr_hooked)
	echo "enabled_functions: $hooked lines"
	grep -qx "hook: $1" $fr_dbg/stats && grep -qx "functions: $2" $fr_dbg/stats &&
	grep -qE "^[0-9]+ +[0-9]+ +mfg_hold_entry.* $3\$" $fr_dbg/users &&
	if [ "$4" = many ]; then [ "$hooked" -gt 1000 ]; else [ "$hooked" = "$4" ]; fi
}
step "insmod mfgraph (filter scenario)" insmod /mfg/mfgraph.ko
step "nothing hooked before any user" [ "$(fr_hooked)" = 0 ]
step "insmod mfg_hold_test tracing hrtimer_nanosleep, entry-only" \
	insmod /mfg/mfg_hold_test.ko func=hrtimer_nanosleep entry_only=1
step "one function: hook filtered, 1 function, ftrace hooks 1" \
	fr_check filtered 1 "1 functions" 1
step "enabled_functions names hrtimer_nanosleep" grep -q '^hrtimer_nanosleep' $fr_tr/enabled_functions
sleep 0.05
step "a sleep was traced" [ "$(fr_count entries)" -ge 1 ]
step "remove the last function" sh -c "echo -hrtimer_nanosleep > $fr_filter"
step "no function: hook off, ftrace hooks nothing" fr_check off 0 "0 functions" 0
fr_before=$(fr_count entries)
sleep 0.05
step "an empty filter traces nothing" [ "$(fr_count entries)" = "$fr_before" ]
step "remove it again: refused (-ENOENT)" sh -c "! echo -hrtimer_nanosleep > $fr_filter"
step "set a glob of many functions (vfs_*)" sh -c "echo '=vfs_*' > $fr_filter"
fr_glob=$(grep '^functions:' $fr_dbg/stats | cut -d' ' -f2)
echo "vfs_* matched $fr_glob functions"
step "the glob matched more than 10 functions" [ "$fr_glob" -gt 10 ]
step "the glob: stats, users and ftrace agree on the count" \
	fr_check filtered "$fr_glob" "$fr_glob functions" "$fr_glob"
step "add \"*\"" sh -c "echo '+*' > $fr_filter"
step "\"*\": hook all, ftrace hooks every function" fr_check all '[0-9]*' '\*' many
step "empty it" sh -c "echo 0 > $fr_filter"
step "emptied from \"*\": hook off, ftrace hooks nothing" fr_check off 0 "0 functions" 0
fr_before=$(fr_count entries)
sleep 0.05
step "nothing traced" [ "$(fr_count entries)" = "$fr_before" ]
step "an entry-only user gets no return" [ "$(fr_count returns)" = 0 ]
step "rmmod mfg_hold_test (filter scenario)" rmmod mfg_hold_test
step "nothing hooked after the last user" [ "$(fr_hooked)" = 0 ]
step "no stack holds a frame" grep -qx 'stacks_in_use: 0' $fr_dbg/stats
mfg_stats "filter scenario"
step "rmmod mfgraph (filter scenario)" rmmod mfgraph
