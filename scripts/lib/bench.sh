# Helpers the benchmarks share. Source it after scripts/lib/common.sh.
#
#   milliseconds VALUE      wrk's "1.23ms" / "850.00us" / "1.02s" as milliseconds
#   peak_rss_mib PID        a process's peak resident memory so far, in MiB
#   cpu_seconds PID         the processor time a process has used so far (user and system), in seconds

milliseconds() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
        else printf "?" }'
}

peak_rss_mib() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

cpu_seconds() { awk -v ticks="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / ticks }' "/proc/$1/stat"; }
