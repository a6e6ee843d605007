#!/usr/bin/env bash
# setup.sh - make a Debian 12 machine ready for bypass, then build it into build/.
#
#   ./scripts/setup.sh [--no-build] [--peers]
#
#   --no-build  only install the packages; do not configure or build
#   --peers     also install Open MPI and MPICH (peers for comparison benchmarks) and Slurm
#               (the launcher tests under srun)
#
# Installs with apt-get only what is missing (needs root then); when everything is already
# installed it skips apt entirely, so it runs as any user and repeated runs are fast.
# Then configures build/ (Ninja, RelWithDebInfo unless CMAKE_BUILD_TYPE is set in the
# environment, BP_WERROR=ON) and builds it. Safe to run again: it reuses build/.
# Everything it does is printed on stderr.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf 'setup: %s\n' "$*" >&2; }
run() {
    log "+ $*"
    "$@"
}
die() {
    log "error: $*"
    exit 1
}
usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; }

do_build=1
peers=0
while [ "$#" -gt 0 ]; do
    case "$1" in
    --no-build) do_build=0 ;;
    --peers) peers=1 ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        usage >&2
        die "unknown option: $1"
        ;;
    esac
    shift
done

# What the build and the tests need.
packages=(
    build-essential # gcc, make, libc headers, sanitizer runtimes (libasan, libubsan)
    cmake
    ninja-build     # the generator build/ uses
    pkg-config      # install test: pkg-config --cflags --libs bypass
    git
    clang llvm      # the XDP program is compiled to BPF with clang
    libclang-rt-dev # libFuzzer and clang's sanitizer runtimes: fuzz/ (BP_FUZZ=ON)
    libbpf-dev      # XDP transport: BPF maps and AF_XDP sockets
    libxdp-dev      # XDP transport: loading the XDP program
    gnuplot-nox     # bp-bench plots (PNG)
    valgrind
    strace
    procps          # ps, pgrep, pkill
    iproute2        # ip netns / veth: multi-host tests between namespaces
    util-linux      # unshare, nsenter, taskset
    libpmix-dev     # start-up under PMIx launchers (mpirun, srun --mpi=pmix): pmix.h
)
if [ "$peers" -eq 1 ]; then
    # Other MPI libraries, to run the same benchmarks against (and Hydra's mpiexec).
    packages+=(openmpi-bin libopenmpi-dev mpich libmpich-dev)
    # Slurm (slurmctld, slurmd, srun, mpi/pmix and mpi/pmi2 plugins): tests/slurm/ starts a
    # private one on this machine; its pmix plugin loads libpmix (libpmix-dev, above).
    packages+=(slurm-wlm slurm-wlm-basic-plugins)
fi

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    log "all ${#packages[@]} packages already installed; skipping apt-get"
else
    log "missing packages: ${missing[*]}"
    [ "$(id -u)" -eq 0 ] || die "installing packages needs root: run this script as root"
    export DEBIAN_FRONTEND=noninteractive
    run apt-get -o DPkg::Lock::Timeout=300 update
    run apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${missing[@]}"
fi

if [ "$do_build" -eq 0 ]; then
    log "--no-build: not building"
    exit 0
fi

build=$root/build
configure=(cmake -S "$root" -B "$build"
    -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" -DBP_WERROR=ON)
if [ ! -f "$build/CMakeCache.txt" ]; then
    configure+=(-G Ninja) # an existing build/ keeps the generator it was made with
fi
run "${configure[@]}"
run cmake --build "$build" --parallel "$(nproc)"
log "built into $build (programs in $build/bin)"
