#!/bin/sh
# mpiexec / mpirun - bypass's own launcher names for MPI programs: runs bprun (found next to
# this script) on this machine. -n N, -np N, --np N, --n N and -c N give the number of ranks
# (1 when absent); every other option before the program goes to bprun as it is
# (--bind core|none, --tag-output, --timeout S; `bprun --help` lists them).
#   mpiexec -n 4 ./a.out args...
here=$(dirname "$(readlink -f "$0" 2>/dev/null || echo "$0")")
have_n=0
in_prog=0
want_value=0
for a do
    shift
    if [ "$in_prog" = 1 ]; then
        set -- "$@" "$a"
        continue
    fi
    if [ "$want_value" = 1 ]; then
        set -- "$@" "$a"
        want_value=0
        continue
    fi
    case $a in
    -n | -np | --n | --np | -c)
        set -- "$@" -n
        have_n=1
        want_value=1
        ;;
    -n=* | -np=* | --n=* | --np=*)
        set -- "$@" -n "${a#*=}"
        have_n=1
        ;;
    --bind | --timeout)
        set -- "$@" "$a"
        want_value=1
        ;;
    --)
        set -- "$@" "$a"
        in_prog=1
        ;;
    -*) set -- "$@" "$a" ;;
    *)
        if [ "$have_n" = 0 ]; then
            set -- "$@" -n 1
            have_n=1
        fi
        set -- "$@" "$a"
        in_prog=1
        ;;
    esac
done
exec "$here/bprun" "$@"
