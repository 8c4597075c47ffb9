#!/bin/bash
# Checks on a finished module build that Kbuild itself does not make fatal:
#   - any compiler, objtool or modpost warning in the build log;
#   - C++ dynamic initialisers or destructors of globals (GCC's
#     _GLOBAL__sub_I_ / _GLOBAL__sub_D_ functions): nothing would run them
#     in a module (KASAN's own module constructors are fine: the kernel runs
#     those);
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
	if "${cross}nm" "$ko" | grep -E '_GLOBAL__sub_[ID]_' >&2; then
		echo "check-module-build: $ko has C++ global constructors/destructors" >&2
		bad=1
	fi
	if "${cross}nm" -u "$ko" | grep -E '__cxa_|__gxx_|_Unwind_|_Znw|_Zdl|_ZTI|_ZTV' >&2; then
		echo "check-module-build: $ko needs the C++ runtime" >&2
		bad=1
	fi
done
exit $bad
