# two_cpus.sh, sourced by the tests that run ranks on two CPUs: the first two CPUs of this
# shell's affinity mask in cpu0 and cpu1, and "cpu0,cpu1" in cpus (for taskset -c); on a
# machine with one CPU the test is skipped (exit 77, ctest's SKIP_RETURN_CODE).
set -- $(taskset -pc $$ | sed 's/.*: *//' | tr ',' '\n' |
         awk -F- '{ for (c = $1; c <= ($2 == "" ? $1 : $2); c++) print c }' | head -2)
[ $# -lt 2 ] && { echo "one CPU: skipped"; exit 77; }
cpu0=$1
cpu1=$2
cpus="$1,$2"
