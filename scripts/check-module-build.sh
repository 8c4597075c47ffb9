#!/bin/bash
# Checks on a finished module build that Kbuild itself does not make fatal:
#   - any compiler, objtool or modpost warning in the build log;
#   - C++ runtime constructors or destructors (.init_array, .ctors, .dtors):
#     nothing would run them in a module;
#   - references to the C++ runtime (exceptions, RTTI, guards, atexit).
#
#   check-module-build.sh BUILD_LOG CROSS_COMPILE MODULE.ko...
set -euo pipefail
buildlog=$1
cross=$2
shift 2
bad=0
if grep -n 'warning:' "$buildlog" >&2; then
	echo "check-module-build: warnings in the module build (above)" >&2
	bad=1
fi
for ko in "$@"; do
	if "${cross}objdump" -h "$ko" | grep -E '\.(init_array|fini_array|ctors|dtors)' >&2; then
		echo "check-module-build: $ko has static constructors/destructors" >&2
		bad=1
	fi
	if "${cross}nm" -u "$ko" | grep -E '__cxa_|__gxx_|_Unwind_|_Znw|_Zdl|_ZTI|_ZTV' >&2; then
		echo "check-module-build: $ko needs the C++ runtime" >&2
		bad=1
	fi
done
exit $bad
