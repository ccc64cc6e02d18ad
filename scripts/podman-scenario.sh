#!/usr/bin/env bash
# The rootless podman/buildah lifecycle scenario of issue 6, as the unprivileged test
# user, natively or under a launcher (nsentry), optionally inside the chroot in which
# the kernel refuses user namespaces.
#
#   scripts/podman-scenario.sh                                  natively (real kernel)
#   scripts/podman-scenario.sh --launcher "$REPO/nsentry run --"   under nsentry
#   scripts/podman-scenario.sh --chroot /var/lib/nsentry/chroot --launcher "..."
#
# Options:
#   --launcher "PREFIX"   command prefix that runs the whole sequence, once: the steps
#                         share one sandbox, so the second podman command can join the
#                         pause process made by the first (as the issue requires)
#   --per-step            apply the launcher to each command separately instead
#   --chroot DIR          run inside DIR (needs root; setup.sh makes /var/lib/nsentry/chroot)
#   --user NAME           the unprivileged user (default nsentry-test)
#   --skip REGEX          report steps whose name matches REGEX as SKIP (e.g. 'podman-run|buildah-commit')
#   --timeout SECONDS     per command (default 120)
#   -v, --verbose         print each command's output
#
# Run as root (it switches to the user, and chroots if asked) or as the user itself.
# Prints one line per step, "PASS|FAIL|SKIP step: detail", then "N passed, N failed"
# (", N skipped" when some were skipped). Exit status 0 iff nothing failed.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
TEST_USER=nsentry-test
LAUNCHER=""
PER_STEP=0
CHROOT=""
SKIP_RE=""
STEP_TIMEOUT=120
VERBOSE=0
INNER=0
ROOT_LABEL=host
LAUNCHER_LABEL=""

usage() { sed -n '2,27p' "$SELF" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --launcher) LAUNCHER=${2?--launcher needs a value}; shift 2 ;;
        --launcher=*) LAUNCHER=${1#*=}; shift ;;
        --per-step) PER_STEP=1; shift ;;
        --chroot) CHROOT=${2?--chroot needs a directory}; shift 2 ;;
        --chroot=*) CHROOT=${1#*=}; shift ;;
        --user) TEST_USER=${2?--user needs a name}; shift 2 ;;
        --skip) SKIP_RE=${2?--skip needs a regex}; shift 2 ;;
        --skip=*) SKIP_RE=${1#*=}; shift ;;
        --timeout) STEP_TIMEOUT=${2?--timeout needs seconds}; shift 2 ;;
        -v|--verbose) VERBOSE=1; shift ;;
        --inner) INNER=1; shift ;;
        --inner-root) ROOT_LABEL=$2; shift 2 ;;
        --inner-launcher) LAUNCHER_LABEL=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "podman-scenario: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

die() { echo "podman-scenario: ERROR: $*" >&2; exit 2; }

id -u "$TEST_USER" >/dev/null 2>&1 || die "no user $TEST_USER (run: bash scripts/setup.sh)"
TEST_UID=$(id -u "$TEST_USER")
TEST_GID=$(id -g "$TEST_USER")
TEST_HOME=$(getent passwd "$TEST_USER" | cut -d: -f6)
RUNTIME_DIR=/run/user/$TEST_UID
PAUSE_PID_FILE=$RUNTIME_DIR/libpod/tmp/pause.pid

# Kills the user's pause process, natively, so the scenario starts cold. The pause
# process of an earlier run holds namespaces of another world (the real kernel's, or
# another sandbox's), which the next podman would try to join.
kill_pause() {
    local pid
    [[ -f $PAUSE_PID_FILE ]] || return 0
    pid=$(cat "$PAUSE_PID_FILE" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ && "$(stat -c %u "/proc/$pid" 2>/dev/null)" == "$TEST_UID" \
            && "$(cat "/proc/$pid/comm" 2>/dev/null)" == catatonit ]]; then
        kill "$pid" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            [[ "$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" =~ ^(Z|)$ ]] && break
            sleep 0.1
        done
    fi
    rm -f "$PAUSE_PID_FILE"
}

# ---------------------------------------------------------------------------------
# Outer part: become the user (and enter the chroot), then run the inner part, once,
# under the launcher.
# ---------------------------------------------------------------------------------
if [[ $INNER -eq 0 ]]; then
    inner_args=(--inner --inner-root "${CHROOT:-host}" --inner-launcher "${LAUNCHER:-none}" --user "$TEST_USER" --timeout "$STEP_TIMEOUT")
    [[ -n $SKIP_RE ]] && inner_args+=(--skip "$SKIP_RE")
    [[ $VERBOSE -eq 1 ]] && inner_args+=(-v)
    [[ $PER_STEP -eq 1 && -n $LAUNCHER ]] && inner_args+=(--per-step --launcher "$LAUNCHER")
    read -r -a launcher_words <<<"$LAUNCHER"
    [[ $PER_STEP -eq 1 ]] && launcher_words=()
    env_args=(env -i HOME="$TEST_HOME" USER="$TEST_USER" LOGNAME="$TEST_USER" SHELL=/bin/bash
              XDG_RUNTIME_DIR="$RUNTIME_DIR" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
              LANG=C.UTF-8 TERM="${TERM:-dumb}")
    [[ -n ${JAVA_HOME:-} ]] && env_args+=(JAVA_HOME="$JAVA_HOME")
    cmd=()
    if [[ $(id -u) -eq 0 ]]; then
        [[ -d $RUNTIME_DIR ]] || die "$RUNTIME_DIR missing (run: bash scripts/setup.sh)"
        kill_pause
        [[ -n $CHROOT ]] && { mountpoint -q "$CHROOT" || die "$CHROOT is not mounted (run: bash scripts/setup.sh)"; cmd+=(chroot "$CHROOT"); }
        cmd+=(setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --init-groups)
    elif [[ $(id -u) -eq $TEST_UID ]]; then
        [[ -z $CHROOT ]] || die "--chroot needs root"
        kill_pause
    else
        die "run as root or as $TEST_USER"
    fi
    cmd+=("${env_args[@]}" "${launcher_words[@]}" bash "$SELF" "${inner_args[@]}")
    rc=0
    (cd / && exec "${cmd[@]}") || rc=$?
    kill_pause   # leave no pause process: the next run (native or sandboxed) starts cold
    exit "$rc"
fi

# ---------------------------------------------------------------------------------
# Inner part: runs as the user, inside the launcher (or per step under it).
# ---------------------------------------------------------------------------------
read -r -a STEP_LAUNCHER <<<"$LAUNCHER"
PASSED=0 FAILED=0 SKIPPED=0
OUT="" ERR="" RC=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/nsentry-scenario.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# run CMD...: runs one command (under the per-step launcher, if any) with a timeout;
# sets OUT, ERR, RC.
run() {
    RC=0
    timeout --kill-after=5 "$STEP_TIMEOUT" "${STEP_LAUNCHER[@]}" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null || RC=$?
    OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
    if [[ $VERBOSE -eq 1 ]]; then
        echo "  \$ $* (exit $RC)"
        [[ -n $OUT ]] && sed 's/^/  | /' <<<"$OUT"
        [[ -n $ERR ]] && sed 's/^/  ! /' <<<"$ERR"
    fi
    return 0
}
oneline() { tr '\n' ' ' <<<"$1" | sed 's/  */ /g; s/ $//' | cut -c1-200; }
# Error detail of the last command: exit status and stderr without podman's warnings.
errdetail() {
    local e
    e=$(grep -v 'level=warning' <<<"$ERR" || true)
    [[ $RC -eq 124 ]] && echo "timed out after ${STEP_TIMEOUT}s" && return
    echo "exit $RC: $(oneline "${e:-$OUT}")"
}
pass() { echo "PASS $1: $2"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL $1: $2"; FAILED=$((FAILED + 1)); }
skip() { [[ -n $SKIP_RE && $1 =~ $SKIP_RE ]] && { echo "SKIP $1: skipped by --skip"; SKIPPED=$((SKIPPED + 1)); return 0; }; return 1; }
# skip_after STEP DEP: STEP is skipped too when the command step DEP it checks is skipped.
skip_after() {
    if [[ -n $SKIP_RE && $2 =~ $SKIP_RE && ! $1 =~ $SKIP_RE ]]; then
        echo "SKIP $1: $2 is skipped"; SKIPPED=$((SKIPPED + 1)); return 0
    fi
    skip "$1"
}

# check_id STEP CMD...: the command must exit 0 and print uid=0(root) gid=0(root).
check_id() {
    local step=$1; shift
    skip "$step" && return 0
    run "$@"
    if [[ $RC -ne 0 ]]; then fail "$step" "$(errdetail)"
    elif [[ $OUT == *"uid=0(root) gid=0(root)"* ]]; then pass "$step" "$(oneline "$OUT")"
    else fail "$step" "unexpected output: $(oneline "$OUT")"; fi
}
# check_rc STEP CMD...: the command must exit 0.
check_rc() {
    local step=$1; shift
    skip "$step" && return 0
    run "$@"
    if [[ $RC -eq 0 ]]; then pass "$step" "exit 0${OUT:+, $(oneline "$(head -n 3 <<<"$OUT")")}"
    else fail "$step" "$(errdetail)"; fi
}
# check_out STEP PATTERN CMD...: exit 0 and stdout matching the extended regex PATTERN.
check_out() {
    local step=$1 pattern=$2; shift 2
    skip "$step" && return 0
    run "$@"
    if [[ $RC -ne 0 ]]; then fail "$step" "$(errdetail)"
    elif grep -Eq -- "$pattern" <<<"$OUT"; then pass "$step" "$(oneline "$(grep -E -m1 -- "$pattern" <<<"$OUT")")"
    else fail "$step" "output does not match /$pattern/: $(oneline "$OUT")"; fi
}
pause_pid() {   # prints the live pause process's pid, or nothing
    local pid
    pid=$(cat "$PAUSE_PID_FILE" 2>/dev/null || true)
    [[ $pid =~ ^[0-9]+$ && -d /proc/$pid && "$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" != Z ]] && echo "$pid"
    return 0
}
# check_map STEP FILE SUBIDFILE: `podman unshare cat FILE` shows "0 <id> 1" and
# "1 <sub start> <count>".
check_map() {
    local step=$1 file=$2 subfile=$3 realid=$4 start count
    skip "$step" && return 0
    IFS=: read -r _ start count < <(grep -m1 "^$TEST_USER:" "$subfile" || true)
    if [[ -z ${start:-} ]]; then fail "$step" "no $TEST_USER line in $subfile"; return 0; fi
    run podman unshare cat "$file"
    local got want
    got=$(awk '{print $1, $2, $3}' <<<"$OUT")
    want=$(printf '0 %s 1\n1 %s %s' "$realid" "$start" "$count")
    if [[ $RC -ne 0 ]]; then fail "$step" "$(errdetail)"
    elif [[ $got == "$want" ]]; then pass "$step" "$(paste -sd";" <<<"$got" | sed "s/;/; /g")"
    else fail "$step" "expected '$(oneline "$want")', got '$(oneline "$got")'"; fi
}

echo "# podman/buildah scenario as $(id -un) (uid $(id -u)), launcher: ${LAUNCHER_LABEL:-${LAUNCHER:-none}}$([[ $PER_STEP -eq 1 ]] && echo ' (per step)'), root: $ROOT_LABEL"

# --- cold phase: no pause process ---------------------------------------------------
if ! skip_after cold-start podman-unshare-cold; then
    p=$(pause_pid)
    if [[ -z $p ]]; then pass cold-start "no pause process"
    else fail cold-start "pause process $p already running"; fi
fi
check_id podman-unshare-cold podman unshare id
PAUSE1=$(pause_pid)
if ! skip_after pause-process podman-unshare-cold; then
    if [[ -n $PAUSE1 ]]; then pass pause-process "pid $PAUSE1 ($(cat /proc/"$PAUSE1"/comm 2>/dev/null)) in $PAUSE_PID_FILE"
    else fail pause-process "no live pause process after the cold start ($PAUSE_PID_FILE)"; fi
fi

# --- warm phase: join the pause process ----------------------------------------------
check_id podman-unshare-warm podman unshare id
if ! skip_after pause-joined podman-unshare-warm; then
    p=$(pause_pid)
    if [[ -n $PAUSE1 && $p == "$PAUSE1" ]]; then pass pause-joined "same pause process $p"
    else fail pause-joined "pause process was '${PAUSE1}', now '${p}'"; fi
fi
check_map podman-uid-map /proc/self/uid_map /etc/subuid "$TEST_UID"
check_map podman-gid-map /proc/self/gid_map /etc/subgid "$TEST_GID"
check_out podman-stat-home '^0:0$' podman unshare stat -c %u:%g "$HOME"
check_out podman-info 'rootless: true' podman info
check_out podman-images 'localhost/busybox-mini' podman images
check_out podman-ps '^CONTAINER ID' podman ps -a
check_rc podman-system-migrate podman system migrate
if ! skip_after migrate-killed-pause podman-system-migrate; then
    p=""
    for _ in 1 2 3 4 5 6 7 8 9 10; do p=$(pause_pid); [[ -z $p ]] && break; sleep 0.2; done
    if [[ -z $p ]]; then pass migrate-killed-pause "no pause process"
    else fail migrate-killed-pause "pause process $p still alive"; fi
fi
check_id podman-unshare-after-migrate podman unshare id
if ! skip_after new-pause-process podman-unshare-after-migrate; then
    p=$(pause_pid)
    if [[ -n $p && $p != "${PAUSE1}" ]]; then pass new-pause-process "pid $p"
    else fail new-pause-process "pause process '${p}' (before migrate: '${PAUSE1}')"; fi
fi

# --- buildah ------------------------------------------------------------------------
CTR=nsentry-scenario-$$
check_id buildah-unshare buildah unshare id
check_out buildah-from "^$CTR\$" buildah from --name "$CTR" scratch
check_rc buildah-config buildah config --label a=b "$CTR"
check_out buildah-label '^map\[a:b\]$' buildah inspect --format '{{.OCIv1.Config.Labels}}' "$CTR"
check_out buildah-images 'localhost/busybox-mini' buildah images
check_out buildah-containers "$CTR" buildah containers
# beyond the issue's list: these need mount-namespace emulation under nsentry
check_rc buildah-copy buildah copy "$CTR" /bin/busybox /bin/busybox
check_out buildah-commit '^[0-9a-f]{64}$' buildah commit --quiet "$CTR" "localhost/$CTR"
check_rc buildah-rm buildah rm "$CTR"
run buildah rmi -f "localhost/$CTR"   # clean up, whatever happened

# --- podman run ---------------------------------------------------------------------
check_id podman-run podman run --rm localhost/busybox-mini id

if [[ $SKIPPED -gt 0 ]]; then
    echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
else
    echo "$PASSED passed, $FAILED failed"
fi
[[ $FAILED -eq 0 ]]
