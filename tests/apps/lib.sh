# Shared by the end-to-end scripts of tests/apps (sourced, with the script's arguments):
#   source "$(dirname "$0")/lib.sh" "$@"
# Sets DIEN (the command under test, $1) and T (a temporary folder removed at exit), and defines:
#   fail MSG        counts a failed check; stops at once unless KEEP_GOING=1 (which lists every
#                   failing check, to see what an old build lacks); finish reports the count
#   must_fail CMD   runs a command that must fail (60 s at most); its output lands in $T/out,
#                   $T/err
#   says TEXT...    each TEXT is in $T/err
#   finish          exits non-zero when any check failed
#   tiny, net       flags of a tiny synthetic run that trains in well under a second
set -euo pipefail
DIEN=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); [ -n "${KEEP_GOING:-}" ] || exit 1; }
must_fail() { if timeout 60 "$@" > "$T/out" 2> "$T/err"; then fail "succeeded: $*"; fi; }
says() { for p in "$@"; do grep -qF -- "$p" "$T/err" || { head -c 2000 "$T/err" >&2; fail "the message lacks '$p'"; return; }; done; }
finish() { [ "$failures" -eq 0 ] || { echo "$failures check(s) failed" >&2; exit 1; }; }
tiny=(--users 60 --items 80 --categories 6 --samples-per-user 4 --maxlen 10)
net=(--dnn-hidden-units 8 --att-hidden-units 4 --embedding-dim 4)
