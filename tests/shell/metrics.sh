# Shared by the shell tests that read an exposition: source it after check.sh, with `work` set.
# Every function reads "$work/metrics.txt" unless `metrics_file` names another file.

# metric NAME LABEL...: prints the value of the first sample of NAME whose label set contains
# every LABEL (a literal `key="value"`); fails when there is none. Label values may contain
# spaces (DNs), so the value is what follows the last '}'.
metric() {
  awk -v name="$1" -v want="$(printf '%s\n' "${@:2}")" '
    BEGIN { n = split(want, labels, "\n") }
    index($0, name "{") == 1 || index($0, name " ") == 1 {
      if (index($0, name "{") == 1) {
        match($0, /\}[^}]*$/)
        set = substr($0, length(name) + 1, RSTART - length(name))
        rest = substr($0, RSTART + 1)
      } else {
        set = ""; rest = substr($0, length(name) + 1)
      }
      for (i = 1; i <= n; i++) if (labels[i] != "" && index(set, labels[i]) == 0) next
      split(rest, f, " "); print f[1]; found = 1; exit
    }
    END { exit !found }' "${metrics_file:-$work/metrics.txt}"
}

metric_is() {  # metric_is EXPECTED NAME LABEL...
  local value
  value=$(metric "${@:2}") || return 1
  awk -v v="$value" -v e="$1" 'BEGIN { exit !(v + 0 == e + 0) }'
}

metric_near() {  # metric_near EXPECTED TOLERANCE NAME LABEL...
  local value
  value=$(metric "${@:3}") || return 1
  awk -v v="$value" -v e="$1" -v t="$2" 'BEGIN { d = v - e; if (d < 0) d = -d; exit !(d <= t) }'
}

absent() { ! metric "$@" >/dev/null; }  # absent NAME LABEL...

# promtool_ok [FILE]: `promtool check metrics` on FILE (default: the metrics file). promtool
# exits 1 on a parse error and 3 on lint findings. The one accepted lint finding is a
# deliberate name that the base-unit lint flags: probe_ssl_cert_expiry_days is in days. Every
# other finding fails.
promtool_ok() {
  local rc=0
  local known_lint='probe_ssl_cert_expiry_days use base unit "seconds" instead of "days"'
  promtool check metrics <"${1:-${metrics_file:-$work/metrics.txt}}" >"$work/promtool.txt" 2>&1 ||
    rc=$?
  cat "$work/promtool.txt"
  [[ $rc == 0 ]] && return 0
  [[ $rc == 3 ]] && ! grep -qvxF -e "$known_lint" -e '' "$work/promtool.txt"
}
