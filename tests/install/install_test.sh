#!/usr/bin/env bash
# install_test.sh BUILD_DIR SOURCE_DIR
#
# Installs BUILD_DIR into a scratch prefix (BUILD_DIR/tests/install_tree.d/prefix), then
# builds tests/install/hello.c against the installed tree only, the ways users do:
#   1. cc $(pkg-config --cflags --libs bypass)           shared, run with LD_LIBRARY_PATH
#   2. pkg-config --static, -l:libbypass.a               static, run with no library path
#   3. tests/install/consumer: find_package(bypass)      bypass::bypass and
#                                                        bypass::bypass_static
#   4. the MPI wrappers: bpcc hello_mpi.c && mpiexec -n 2, from the prefix and from a copy
#      of it moved elsewhere; mpi.h only under <includedir>/bypass
# and checks that each program runs, uses the installed library and reports the version
# that pkg-config and the CMake package report. Any failed step fails the test.
# Compiler, generator, install dirs and sanitizers are read from BUILD_DIR's CMakeCache.txt.
set -euo pipefail

if [ "$#" -ne 2 ]; then
    echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
cache=$build/CMakeCache.txt

step() { printf '\n== install_tree: %s\n' "$*"; }
fail() {
    printf 'install_tree: FAIL: %s\n' "$*" >&2
    exit 1
}
# Value of a cache entry NAME:TYPE=VALUE, empty when absent.
cache_get() { sed -n "s/^$1:[A-Z]*=//p" "$cache" | head -n 1; }

[ -f "$cache" ] || fail "$build is not a configured build tree (no CMakeCache.txt)"
cmake_cmd=$(cache_get CMAKE_COMMAND)
cc=$(cache_get CMAKE_C_COMPILER)
generator=$(cache_get CMAKE_GENERATOR)
libdir=$(cache_get CMAKE_INSTALL_LIBDIR)
includedir=$(cache_get CMAKE_INSTALL_INCLUDEDIR)
sanitize=$(cache_get BP_SANITIZE)
: "${cmake_cmd:=cmake}" "${cc:=cc}" "${libdir:=lib}" "${includedir:=include}"

# A sanitized library needs the sanitizer runtime in every program that links it.
san_flags=()
if [ -n "$sanitize" ]; then
    san_flags=("-fsanitize=$sanitize" -fno-omit-frame-pointer)
fi
# The public header must compile cleanly in a user's strict build.
cflags_user=(-std=c11 -Wall -Wextra -Werror "${san_flags[@]}")

work=$build/tests/install_tree.d
prefix=$work/prefix
rm -rf "$work"
mkdir -p "$work"
hello_src=$src/tests/install/hello.c

# run_hello NAME [ENV...]: runs $work/NAME, checks its output, sets $hello_version.
run_hello() {
    local exe=$work/$1
    shift
    local out
    out=$(env "$@" "$exe") || fail "$exe exited with status $?"
    printf '%s\n' "$out"
    hello_version=$(printf '%s\n' "$out" | sed -n 's/^bypass \([0-9.]*\) protocol .*/\1/p')
    [ -n "$hello_version" ] || fail "$exe printed no version line"
}
# uses_installed_lib EXE [ENV...]: the loader resolves libbypass.so inside the prefix.
uses_installed_lib() {
    local exe=$1
    shift
    local line
    line=$(env "$@" ldd "$exe" | grep 'libbypass\.so') || fail "$exe does not need libbypass.so"
    case "$line" in
    *"=> $prefix/"*) echo "$line" ;;
    *) fail "$exe loads libbypass from outside the install prefix: $line" ;;
    esac
}
# is_static_link EXE: libbypass is linked in, not loaded.
is_static_link() {
    if readelf -d "$1" | grep -q 'NEEDED.*libbypass'; then
        fail "$1 should link libbypass statically but needs the shared library"
    fi
}

step "install $build into $prefix"
"$cmake_cmd" --install "$build" --prefix "$prefix"

step "installed files"
for f in "$includedir/bypass.h" "$libdir/libbypass.a" "$libdir/libbypass.so" \
    "$libdir/cmake/bypass/bypassConfig.cmake" \
    "$libdir/cmake/bypass/bypassConfigVersion.cmake" \
    "$libdir/cmake/bypass/bypassTargets.cmake" "$libdir/pkgconfig/bypass.pc"; do
    [ -e "$prefix/$f" ] || fail "missing $prefix/$f"
    echo "ok $f"
done
soname=$(readelf -d "$prefix/$libdir/libbypass.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
case "$soname" in
libbypass.so.[0-9]*) echo "ok SONAME $soname" ;;
*) fail "libbypass.so has SONAME '$soname', expected libbypass.so.<major>" ;;
esac
[ -e "$prefix/$libdir/$soname" ] || fail "missing $prefix/$libdir/$soname (SONAME link)"

step "pkg-config"
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
pkg-config --exists --print-errors bypass || fail "pkg-config does not find bypass"
pc_version=$(pkg-config --modversion bypass)
pc_prefix=$(pkg-config --variable=prefix bypass)
[ "$pc_prefix" = "$prefix" ] || fail "bypass.pc has prefix '$pc_prefix', expected '$prefix'"
pc_cflags=$(pkg-config --cflags bypass)
pc_libs=$(pkg-config --libs bypass)
pc_static_libs=$(pkg-config --static --libs bypass)
printf 'version %s\ncflags  %s\nlibs    %s\nstatic  %s\n' \
    "$pc_version" "$pc_cflags" "$pc_libs" "$pc_static_libs"
case " $pc_static_libs " in
*" -pthread "*) ;;
*) fail "pkg-config --static --libs bypass lacks -pthread" ;;
esac

step "pkg-config, shared: cc \$(pkg-config --cflags --libs bypass)"
# shellcheck disable=SC2086 # pkg-config output is a list of words
"$cc" "${cflags_user[@]}" $pc_cflags -o "$work/hello_pc_shared" "$hello_src" $pc_libs
uses_installed_lib "$work/hello_pc_shared" LD_LIBRARY_PATH="$prefix/$libdir"
run_hello hello_pc_shared LD_LIBRARY_PATH="$prefix/$libdir"
[ "$hello_version" = "$pc_version" ] ||
    fail "library reports $hello_version, pkg-config $pc_version"
major=${hello_version%%.*}
[ "$soname" = "libbypass.so.$major" ] || fail "SONAME $soname does not match major $major"

step "pkg-config, static: pkg-config --static, -l:libbypass.a"
static_libs=()
read -r -a words <<<"$pc_static_libs"
for w in "${words[@]}"; do
    if [ "$w" = -lbypass ]; then
        static_libs+=(-l:libbypass.a)
    else
        static_libs+=("$w")
    fi
done
# shellcheck disable=SC2086
"$cc" "${cflags_user[@]}" $pc_cflags -o "$work/hello_pc_static" "$hello_src" "${static_libs[@]}"
is_static_link "$work/hello_pc_static"
run_hello hello_pc_static -u LD_LIBRARY_PATH
[ "$hello_version" = "$pc_version" ] || fail "static library reports $hello_version"

step "CMake: find_package(bypass) in tests/install/consumer"
consumer_build=$work/consumer-build
cmake_args=(-S "$src/tests/install/consumer" -B "$consumer_build"
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc"
    -DCMAKE_BUILD_TYPE=Release -DBP_EXPECT_VERSION="$pc_version")
if [ -n "$generator" ]; then
    cmake_args+=(-G "$generator")
fi
if [ -n "$sanitize" ]; then
    cmake_args+=(-DCMAKE_C_FLAGS="${san_flags[*]}" -DCMAKE_EXE_LINKER_FLAGS="${san_flags[*]}")
fi
"$cmake_cmd" "${cmake_args[@]}"
found_dir=$(sed -n 's/^bypass_DIR:[A-Z]*=//p' "$consumer_build/CMakeCache.txt")
[ "$found_dir" = "$prefix/$libdir/cmake/bypass" ] ||
    fail "find_package(bypass) used '$found_dir', not the install prefix"
"$cmake_cmd" --build "$consumer_build"
cp "$consumer_build/hello_shared" "$consumer_build/hello_static" "$work/"
# The shared one finds the library through the RPATH CMake gives build-tree programs.
uses_installed_lib "$work/hello_shared" -u LD_LIBRARY_PATH
run_hello hello_shared -u LD_LIBRARY_PATH
[ "$hello_version" = "$pc_version" ] || fail "bypass::bypass reports $hello_version"
is_static_link "$work/hello_static"
run_hello hello_static -u LD_LIBRARY_PATH
[ "$hello_version" = "$pc_version" ] || fail "bypass::bypass_static reports $hello_version"

step "MPI: installed bpcc builds an MPI hello, installed mpiexec runs it"
for f in bin/bpcc bin/mpicc bin/mpiexec bin/mpirun "$includedir/bypass/mpi.h" \
    "$libdir/libbpmpi.so" "$libdir/libbpmpi.a"; do
    [ -e "$prefix/$f" ] || fail "missing $prefix/$f"
    echo "ok $f"
done
[ ! -e "$prefix/$includedir/mpi.h" ] || fail "mpi.h installed where it shadows a system mpi.h"
show=$("$prefix/bin/bpcc" -show hello.c)
echo "bpcc -show: $show"
case "$show" in
*"-I$prefix/$includedir/bypass"*"-L$prefix/$libdir"*) ;;
*) fail "installed bpcc -show does not name the prefix's include and lib dirs" ;;
esac
"$prefix/bin/bpcc" -Wall -Wextra -Werror -o "$work/hello_mpi" "$src/tests/mpi/hello.c"
line=$(ldd "$work/hello_mpi" | grep 'libbpmpi\.so') || fail "hello_mpi does not need libbpmpi.so"
case "$line" in
*"=> $prefix/"*) echo "$line" ;;
*) fail "hello_mpi loads libbpmpi from outside the install prefix: $line" ;;
esac
out=$("$prefix/bin/mpiexec" --timeout 60 -n 2 "$work/hello_mpi") || fail "mpiexec -n 2 failed"
printf '%s\n' "$out"
[ "$(printf '%s\n' "$out" | grep -c '^hello from rank [01] of 2')" -eq 2 ] ||
    fail "mpiexec -n 2 did not run two ranks of hello_mpi"
# a moved tree: the wrappers find their new prefix
cp -a "$prefix" "$work/moved"
show=$("$work/moved/bin/mpicc" -show hello.c)
case "$show" in
*"-I$work/moved/$includedir/bypass"*) echo "moved: $show" ;;
*) fail "bpcc in a moved tree still points elsewhere: $show" ;;
esac
"$work/moved/bin/mpicc" -o "$work/hello_mpi_moved" "$src/tests/mpi/hello.c"
out=$("$work/moved/bin/mpirun" --timeout 60 -np 2 "$work/hello_mpi_moved") ||
    fail "mpirun -np 2 in the moved tree failed"
[ "$(printf '%s\n' "$out" | grep -c 'of 2')" -eq 2 ] || fail "moved tree: not two ranks"

step "PASS"
