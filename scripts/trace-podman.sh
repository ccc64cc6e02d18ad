#!/usr/bin/env bash
# Traces rootless podman/buildah natively (real kernel user namespaces) as an unprivileged
# user, the measurements behind scripts/NOTES-podman.md.
#
#   bash scripts/trace-podman.sh [--user NAME] [OUTDIR]     (as root; default /tmp/nsentry-traces)
#
# Writes OUTDIR/{podman-cold,podman-warm,buildah-unshare}.trace (+ .out). strace runs as root
# with -u USER, so the setuid newuidmap/newgidmap still run setuid. The pause process made by
# the cold run is detached from strace (SIGTERM to strace, with -I1 so it listens) as soon as
# podman printed its result, so the warm run can join it untraced.
set -euo pipefail

TEST_USER=nsentry-test
OUT=/tmp/nsentry-traces
while [[ $# -gt 0 ]]; do
    case "$1" in
        --user) TEST_USER=$2; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) OUT=$1; shift ;;
    esac
done
[[ $(id -u) -eq 0 ]] || { echo "trace-podman: run as root" >&2; exit 2; }
command -v strace >/dev/null || { echo "trace-podman: strace missing (bash scripts/setup.sh)" >&2; exit 2; }
TEST_UID=$(id -u "$TEST_USER")
TEST_HOME=$(getent passwd "$TEST_USER" | cut -d: -f6)
RUNTIME_DIR=/run/user/$TEST_UID
PAUSE=$RUNTIME_DIR/libpod/tmp/pause.pid
SYSCALLS='%process,%creds,setns,unshare,openat,ioctl,mount,umount2,pivot_root,prctl,capset,capget,write,read,fstat,newfstatat,readlink,readlinkat,fcntl,pidfd_open,chdir,fchdir,chroot,memfd_create,pipe2,socketpair,close,dup2,dup3,unlink,unlinkat,renameat2,flock'
mkdir -p "$OUT"

kill_pause() {
    local pid
    pid=$(cat "$PAUSE" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ && "$(stat -c %u "/proc/$pid" 2>/dev/null)" == "$TEST_UID" ]]; then kill "$pid" || true; fi
    rm -f "$PAUSE"
}

# trace NAME CMD...: traces CMD; detaches once CMD's output has a uid= line (or it exits).
trace() {
    local name=$1 spid; shift
    (cd / && exec env -i HOME="$TEST_HOME" USER="$TEST_USER" LOGNAME="$TEST_USER" \
        XDG_RUNTIME_DIR="$RUNTIME_DIR" PATH=/usr/local/bin:/usr/bin:/bin \
        strace -I1 -u "$TEST_USER" -f -yy -s 300 -e trace="$SYSCALLS" -o "$OUT/$name.trace" "$@" \
        >"$OUT/$name.out" 2>&1) &
    spid=$!
    for _ in $(seq 1 600); do
        kill -0 "$spid" 2>/dev/null || break
        if grep -q 'uid=' "$OUT/$name.out" 2>/dev/null; then sleep 1.5; kill -TERM "$spid" 2>/dev/null || true; break; fi
        sleep 0.1
    done
    wait "$spid" || true
    echo "trace-podman: $OUT/$name.trace ($(wc -l <"$OUT/$name.trace") lines): $(grep 'uid=' "$OUT/$name.out" || echo 'no uid= line')"
}

kill_pause
trace podman-cold podman unshare id
trace podman-warm podman unshare id
trace buildah-unshare buildah unshare id
kill_pause
echo "trace-podman: namespace/credential calls:"
grep -hE 'NEWUSER|NEWNS|setns\(|unshare\(|setres[ug]id|uid_map|gid_map|setgroups|ns/(user|mnt)|MS_BIND|execveat' \
    "$OUT"/podman-cold.trace "$OUT"/podman-warm.trace "$OUT"/buildah-unshare.trace | grep -v resumed | cut -c1-160
