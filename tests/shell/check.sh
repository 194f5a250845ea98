# Shared by the shell tests: source it after setting `work` (a scratch directory) and
# `failures=0`. Each check prints "ok   - ..." or "FAIL - ..." with the command's output
# indented, and counts failures; the test ends with `[[ $failures == 0 ]]`.

check() {  # check DESCRIPTION COMMAND...: records one assertion
  if "${@:2}" >"$work/check.out" 2>&1; then
    echo "ok   - $1"
  else
    echo "FAIL - $1"
    sed 's/^/       /' "$work/check.out"
    failures=$((failures + 1))
  fi
}
