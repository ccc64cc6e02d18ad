#!/usr/bin/env bash
# nsentry: the one idempotent setup script (used by the README's commands and by CI).
#
#   bash scripts/setup.sh           install/create whatever is missing (run as root)
#   bash scripts/setup.sh --check   only report what is missing (exit 1 if anything is)
#
# It provides:
#   - Debian packages for building (gcc, make, libseccomp, protobuf-c, maven, JDK 17, Go)
#     and for the tests (strace, gdb, proot, busybox-static, podman, buildah, crun, ...);
#   - the unprivileged test user nsentry-test with /etc/subuid and /etc/subgid ranges,
#     its runtime dir /run/user/<uid> and a rootless podman/buildah configuration
#     (vfs storage, file events logger, cgroupfs manager, no systemd/dbus);
#   - a tiny local image localhost/busybox-mini, built offline natively from
#     busybox-static with buildah (no registry is reachable);
#   - a chroot of the host root, /var/lib/nsentry/chroot (an rbind of /, rslave), in
#     which the kernel refuses unshare(CLONE_NEWUSER) with EPERM: the scenario nsentry
#     exists for.
#
# A second run does nothing and takes a couple of seconds.
set -euo pipefail

TEST_USER=${NSENTRY_TEST_USER:-nsentry-test}
SUBID_COUNT=65536
SUBID_MIN=100000
CHROOT_DIR=${NSENTRY_CHROOT:-/var/lib/nsentry/chroot}
IMAGE=localhost/busybox-mini
PACKAGES=(
    gcc make libc6-dev libseccomp-dev protobuf-c-compiler libprotobuf-c-dev
    maven openjdk-17-jdk-headless golang-go
    util-linux libcap2-bin uidmap proot strace gdb busybox-static
    podman buildah crun catatonit iproute2 runc
    clang libclang-rt-14-dev
)

CHECK=0
for arg in "$@"; do
    case "$arg" in
        --check) CHECK=1 ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "setup: unknown argument: $arg (use --check or nothing)" >&2; exit 2 ;;
    esac
done

say() { echo "setup: $*"; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }
MISSING=()
missing() { MISSING+=("$*"); echo "setup: missing: $*"; }

if [[ $CHECK -eq 0 && $(id -u) -ne 0 ]]; then
    die "must run as root (it installs packages, creates a user and mounts a chroot); use --check to only report"
fi

# ---------------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------------
pkg_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" == ii* ]]
}
pkg_candidate() {   # prints the candidate version, empty if apt does not know the name
    apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}' | grep -v '(none)' || true
}

need_pkgs=()
for p in "${PACKAGES[@]}"; do
    pkg_installed "$p" || need_pkgs+=("$p")
done

if [[ ${#need_pkgs[@]} -gt 0 ]]; then
    if [[ $CHECK -eq 1 ]]; then
        missing "packages: ${need_pkgs[*]}"
    else
        say "installing packages: ${need_pkgs[*]}"
        # Update the lists only when needed: some package is missing and apt does not
        # know one of them (no lists yet, or stale ones).
        unknown=()
        for p in "${need_pkgs[@]}"; do [[ -n "$(pkg_candidate "$p")" ]] || unknown+=("$p"); done
        if [[ ${#unknown[@]} -gt 0 ]]; then
            say "apt-get update (apt does not know: ${unknown[*]})"
            apt-get update -qq || die "apt-get update failed"
            for p in "${unknown[@]}"; do
                [[ -n "$(pkg_candidate "$p")" ]] || die "package '$p' does not exist in the configured Debian repositories (apt-cache policy $p)"
            done
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" \
            || die "apt-get install failed for: ${need_pkgs[*]}"
        for p in "${need_pkgs[@]}"; do pkg_installed "$p" || die "package '$p' is still not installed"; done
    fi
fi

# ---------------------------------------------------------------------------------
# The unprivileged test user, its subordinate ids and runtime dir
# ---------------------------------------------------------------------------------
# Appends "user:start:count" to FILE (/etc/subuid or /etc/subgid) unless the user has a
# line there already; picks a start above every existing range.
add_subids() {
    local file=$1
    touch "$file"
    if grep -q "^${TEST_USER}:" "$file"; then return 0; fi
    local start
    start=$(awk -F: -v min="$SUBID_MIN" 'BEGIN{m=min} NF>=3 {e=$2+$3; if (e>m) m=e} END{print m}' "$file")
    say "adding ${TEST_USER}:${start}:${SUBID_COUNT} to $file"
    echo "${TEST_USER}:${start}:${SUBID_COUNT}" >> "$file"
}

if ! id -u "$TEST_USER" >/dev/null 2>&1; then
    if [[ $CHECK -eq 1 ]]; then
        missing "user $TEST_USER"
    else
        say "creating user $TEST_USER"
        useradd -m -s /bin/bash "$TEST_USER" || die "useradd $TEST_USER failed"
    fi
fi

if id -u "$TEST_USER" >/dev/null 2>&1; then
    TEST_UID=$(id -u "$TEST_USER")
    TEST_GID=$(id -g "$TEST_USER")
    TEST_HOME=$(getent passwd "$TEST_USER" | cut -d: -f6)
    RUNTIME_DIR=/run/user/$TEST_UID

    if [[ "$(getent passwd "$TEST_USER" | cut -d: -f7)" != /bin/bash ]]; then
        if [[ $CHECK -eq 1 ]]; then missing "bash login shell for $TEST_USER"
        else say "setting the login shell of $TEST_USER to /bin/bash"; usermod -s /bin/bash "$TEST_USER"; fi
    fi

    for f in /etc/subuid /etc/subgid; do
        if ! grep -q "^${TEST_USER}:" "$f" 2>/dev/null; then
            if [[ $CHECK -eq 1 ]]; then missing "$TEST_USER range in $f"; else add_subids "$f"; fi
        fi
    done

    if [[ ! -d $RUNTIME_DIR || "$(stat -c '%u %a' "$RUNTIME_DIR")" != "$TEST_UID 700" ]]; then
        if [[ $CHECK -eq 1 ]]; then
            missing "runtime dir $RUNTIME_DIR (0700, owned by $TEST_USER)"
        else
            say "creating $RUNTIME_DIR"
            install -d -m 0755 /run/user
            install -d -m 0700 -o "$TEST_UID" -g "$TEST_GID" "$RUNTIME_DIR"
        fi
    fi

    # Rootless containers configuration: no systemd, no dbus, no overlay in the user
    # namespace, no kernel cgroup delegation (cgroup v1 here), no network helper needed.
    CONF_DIR=$TEST_HOME/.config/containers
    STORAGE_CONF="[storage]
driver = \"vfs\"
runroot = \"$RUNTIME_DIR/containers\"
graphroot = \"$TEST_HOME/.local/share/containers/storage\"
"
    CONTAINERS_CONF="# Written by nsentry scripts/setup.sh: rootless podman without systemd or dbus.
[containers]
# no registry or network helper is reachable/needed: containers get no network
netns = \"none\"

[engine]
events_logger = \"file\"
cgroup_manager = \"cgroupfs\"
# crun refuses this host's hybrid cgroup v1/v2 layout (\"cgroups in hybrid mode not
# supported\"); runc runs rootless containers here (it ignores cgroup errors rootless)
runtime = \"runc\"
"
    write_conf() {   # path content
        local path=$1 content=$2
        if [[ -f $path && "$(cat "$path")"$'\n' == "$content" ]]; then return 0; fi
        if [[ $CHECK -eq 1 ]]; then missing "config $path"; return 0; fi
        say "writing $path"
        install -d -m 0755 -o "$TEST_UID" -g "$TEST_GID" "$TEST_HOME/.config" "$CONF_DIR"
        printf '%s' "$content" > "$path"
        chown "$TEST_UID:$TEST_GID" "$path"
    }
    write_conf "$CONF_DIR/storage.conf" "$STORAGE_CONF"
    write_conf "$CONF_DIR/containers.conf" "$CONTAINERS_CONF"
fi

# Runs a command natively as the test user with a clean login-like environment.
as_test_user() {
    (cd / && setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --init-groups --reset-env \
        env HOME="$TEST_HOME" USER="$TEST_USER" LOGNAME="$TEST_USER" \
            XDG_RUNTIME_DIR="$RUNTIME_DIR" PATH=/usr/local/bin:/usr/bin:/bin "$@")
}

# ---------------------------------------------------------------------------------
# The tiny local image, built natively once (real kernel user namespaces)
# ---------------------------------------------------------------------------------
# Kills the user's podman pause process (a real user namespace, made natively), so the
# next podman command, natively or under nsentry, starts cold.
kill_pause() {
    local f pid
    for f in "$RUNTIME_DIR/libpod/tmp/pause.pid" "/tmp/podman-run-$TEST_UID/libpod/tmp/pause.pid"; do
        [[ -f $f ]] || continue
        pid=$(cat "$f" 2>/dev/null || true)
        if [[ $pid =~ ^[0-9]+$ ]] && [[ "$(stat -c %u "/proc/$pid" 2>/dev/null)" == "$TEST_UID" ]]; then
            kill "$pid" 2>/dev/null || true
        fi
        rm -f "$f"
    done
}

if id -u "$TEST_USER" >/dev/null 2>&1 && command -v podman >/dev/null && command -v buildah >/dev/null \
        && [[ -d $RUNTIME_DIR && -f $CONF_DIR/storage.conf ]]; then
    # podman records its run root and tmp dir in its database on first use; if it was
    # first run without a usable XDG_RUNTIME_DIR, they point to /tmp for ever after
    # (pause.pid would not be in $XDG_RUNTIME_DIR/libpod/tmp): reset that storage.
    if grep -qsa -e "/tmp/podman-run-$TEST_UID" -e "/tmp/containers-user-$TEST_UID" \
            "$TEST_HOME/.local/share/containers/storage/libpod/bolt_state.db"; then
        if [[ $CHECK -eq 1 ]]; then
            missing "clean podman state for $TEST_USER (its database points to /tmp: first run without XDG_RUNTIME_DIR)"
        else
            say "resetting $TEST_USER's podman storage (created without XDG_RUNTIME_DIR)"
            kill_pause
            as_test_user podman system reset --force >/dev/null 2>&1 || true
            kill_pause
            rm -rf "/tmp/podman-run-$TEST_UID" "/tmp/containers-user-$TEST_UID" \
                "$TEST_HOME/.local/share/containers" "$RUNTIME_DIR/containers" "$RUNTIME_DIR/libpod"
        fi
    fi
    # Look in the storage's image index instead of asking podman: no podman process,
    # no natively made pause process left behind, no time spent.
    if ! grep -qs "\"$IMAGE:latest\"" "$TEST_HOME/.local/share/containers/storage/vfs-images/images.json"; then
        if [[ $CHECK -eq 1 ]]; then
            missing "image $IMAGE (for $TEST_USER)"
        else
            say "building image $IMAGE natively as $TEST_USER (from /bin/busybox)"
            [[ -x /bin/busybox ]] || die "/bin/busybox missing (busybox-static)"
            stage=$(mktemp -d /tmp/nsentry-image.XXXXXX)
            trap 'rm -rf "$stage"' EXIT
            mkdir -p "$stage/root/bin" "$stage/root/tmp" "$stage/root/etc"
            cp /bin/busybox "$stage/root/bin/busybox"
            for app in sh id true false echo cat ls ps sleep env uname mount hostname; do
                ln -s busybox "$stage/root/bin/$app"
            done
            printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$stage/root/etc/passwd"
            printf 'root:x:0:\nnogroup:x:65534:\n' > "$stage/root/etc/group"
            chmod 1777 "$stage/root/tmp"
            tar -C "$stage/root" --numeric-owner --owner=0 --group=0 -cf "$stage/rootfs.tar" .
            chmod 0755 "$stage"; chmod 0644 "$stage/rootfs.tar"
            as_test_user sh -euc '
                ctr=$(buildah from scratch)
                buildah add "$ctr" "$1" / >/dev/null
                buildah config --cmd /bin/sh --env PATH=/bin "$ctr"
                buildah commit --quiet --rm "$ctr" "$2" >/dev/null
            ' build-image "$stage/rootfs.tar" "$IMAGE" || die "building $IMAGE as $TEST_USER failed"
            rm -rf "$stage"; trap - EXIT
            as_test_user podman image exists "$IMAGE" 2>/dev/null || die "$IMAGE was built but podman does not see it"
            # leave no natively made pause process behind: tests start cold
            as_test_user podman system migrate >/dev/null 2>&1 || true
            kill_pause
        fi
    fi
fi

# ---------------------------------------------------------------------------------
# The chroot in which the kernel refuses user namespaces
# ---------------------------------------------------------------------------------
if ! mountpoint -q "$CHROOT_DIR" 2>/dev/null; then
    if [[ $CHECK -eq 1 ]]; then
        missing "chroot $CHROOT_DIR (rbind of /)"
    else
        say "mounting $CHROOT_DIR (rbind of /, rslave)"
        mkdir -p "$CHROOT_DIR"
        mount --rbind / "$CHROOT_DIR" || die "mount --rbind / $CHROOT_DIR failed"
        # rslave: mounts made on the host still appear inside, but an unmount inside
        # (or umount -R of the chroot) never propagates back to the host.
        mount --make-rslave "$CHROOT_DIR" || die "mount --make-rslave $CHROOT_DIR failed"
    fi
fi

if mountpoint -q "$CHROOT_DIR" 2>/dev/null; then
    # In a chroot, create_user_ns() refuses with EPERM (current_chrooted()), even for root.
    check_refused() {   # who, command...
        local who=$1 out rc=0; shift
        out=$("$@" 2>&1) || rc=$?
        if [[ $rc -eq 0 ]]; then
            echo "setup: ERROR: inside $CHROOT_DIR the kernel allowed 'unshare --user' as $who" >&2; return 1
        fi
        if [[ $out != *"Operation not permitted"* ]]; then
            echo "setup: ERROR: inside $CHROOT_DIR 'unshare --user' as $who failed, but not with EPERM: $out" >&2; return 1
        fi
    }
    ok=1
    check_refused root chroot "$CHROOT_DIR" unshare --user true || ok=0
    if id -u "$TEST_USER" >/dev/null 2>&1; then
        check_refused "$TEST_USER" chroot --userspec="$TEST_USER:$TEST_USER" "$CHROOT_DIR" unshare --user true || ok=0
    fi
    if [[ $ok -eq 1 ]]; then
        say "OK: inside $CHROOT_DIR the kernel refuses unshare --user with EPERM (root and $TEST_USER)"
    elif [[ $CHECK -eq 1 ]]; then
        missing "EPERM for unshare --user inside $CHROOT_DIR"
    else
        die "the chroot does not make the kernel refuse user namespaces"
    fi
fi

if [[ $CHECK -eq 1 ]]; then
    if [[ ${#MISSING[@]} -gt 0 ]]; then
        say "${#MISSING[@]} item(s) missing; run: bash scripts/setup.sh"
        exit 1
    fi
    say "nothing missing"
fi
exit 0
