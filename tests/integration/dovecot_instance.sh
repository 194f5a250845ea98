#!/usr/bin/env bash
# Runs a private, loopback-only Dovecot instance for tests.
#
# Usage:
#   dovecot_instance.sh start DIR NAME=PORT... CERT KEY
#   dovecot_instance.sh stop DIR
#
# start: writes DIR/dovecot.conf (DIR absolute, created if missing) and starts Dovecot with it
#   alone (-c: no /etc/dovecot, no conf.d), with base_dir DIR/run, state_dir DIR/state and log
#   DIR/dovecot.log. NAME=PORT pairs choose the listeners, all on 127.0.0.1 only:
#     imap, imaps, pop3, pop3s, sieve (ManageSieve), lmtp
#   and the extra word ssl=no turns TLS off entirely (then no STARTTLS/STLS is offered and
#   imaps/pop3s are refused). CERT is a PEM leaf (optionally followed by its chain), KEY its
#   key. A static passdb/userdb keeps the auth process happy; nothing ever logs in and no mail
#   is stored. Returns once every port accepts connections; on failure prints the log and
#   exits non-zero. A leftover instance in DIR (an earlier crashed run) is stopped first.
# stop: stops the instance in DIR (SIGKILL to its master if it will not stop) and removes DIR.
#   Safe to call when nothing runs or DIR does not exist.
#
# Runs as root (CI): the master binds and then runs its processes as the package's users
# dovecot (default_internal_user) and dovenull (default_login_user), so the login processes
# must reach DIR: every parent of DIR must be world-searchable.
set -euo pipefail

die() { echo "dovecot_instance: $*" >&2; exit 1; }

master_pid() {  # prints the live master's pid, or nothing
  local pid_file=$1/run/master.pid pid
  [[ -r $pid_file ]] || return 0
  pid=$(tr -dc '0-9' <"$pid_file")
  [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == dovecot ]] && echo "$pid"
  return 0
}

stop_instance() {
  local dir=$1 pid i
  [[ -d $dir ]] || return 0
  pid=$(master_pid "$dir")
  if [[ -n $pid ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50 && ${#pid} > 0; i++)); do
      sleep 0.1
      pid=$(master_pid "$dir")
    done
    [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf -- "$dir"
}

# listener SERVICE NAME PORT [ssl]
listener() {
  printf 'service %s {\n  inet_listener %s {\n    address = 127.0.0.1\n    port = %s\n' "$1" "$2" "$3"
  [[ ${4:-} == ssl ]] && printf '    ssl = yes\n'
  printf '  }\n}\n'
}

write_conf() {
  local dir=$1 ssl=$2 protocols=() pair name port
  shift 2
  for pair in "$@"; do
    case ${pair%%=*} in
      imap | imaps) protocols+=(imap) ;;
      pop3 | pop3s) protocols+=(pop3) ;;
      sieve) protocols+=(sieve) ;;
      lmtp) protocols+=(lmtp) ;;
    esac
  done
  {
    cat <<CONF
# Private test instance; see tests/integration/dovecot_instance.sh.
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
protocols = $(printf '%s\n' "${protocols[@]}" | sort -u | tr '\n' ' ')
listen = 127.0.0.1
default_internal_user = dovecot
default_login_user = dovenull
hostname = mail.test
ssl = $ssl
disable_plaintext_auth = yes
auth_mechanisms = plain
passdb {
  driver = static
  args = password=never-used-test-password
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
mail_location = mbox:/nonexistent
CONF
    if [[ $ssl == yes ]]; then
      printf 'ssl_cert = <%s\nssl_key = <%s\n' "$dir/tls/cert.pem" "$dir/tls/key.pem"
    fi
    # Every default listener (143, 110, 4190, ...) moves to the test's port or is disabled.
    local imap=0 imaps=0 pop3=0 pop3s=0
    for pair in "$@"; do
      name=${pair%%=*} port=${pair#*=}
      case $name in
        imap) imap=$port ;;
        imaps) imaps=$port ;;
        pop3) pop3=$port ;;
        pop3s) pop3s=$port ;;
      esac
    done
    printf 'service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = %s\n  }\n  inet_listener imaps {\n    address = 127.0.0.1\n    port = %s\n    ssl = yes\n  }\n}\n' "$imap" "$imaps"
    printf 'service pop3-login {\n  inet_listener pop3 {\n    address = 127.0.0.1\n    port = %s\n  }\n  inet_listener pop3s {\n    address = 127.0.0.1\n    port = %s\n    ssl = yes\n  }\n}\n' "$pop3" "$pop3s"
    for pair in "$@"; do
      name=${pair%%=*} port=${pair#*=}
      case $name in
        sieve) listener managesieve-login sieve "$port" ;;
        lmtp) listener lmtp lmtp "$port" ;;
        imap | imaps | pop3 | pop3s) ;;
        *) die "unknown listener $name" ;;
      esac
    done
  } >"$dir/dovecot.conf"
}

wait_for_ports() {  # up to ~15 s for every port to accept a connection
  local port i
  for port in "$@"; do
    for ((i = 0; i < 150; i++)); do
      timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null && continue 2
      sleep 0.1
    done
    return 1
  done
}

start_instance() {
  local dir=$1 cert=${*: -2:1} key=${*: -1} ssl=yes pairs=() ports=() arg
  (($# >= 4)) || die "usage: $0 start DIR NAME=PORT... CERT KEY"
  [[ $dir == /* ]] || die "DIR must be an absolute path: $dir"
  [[ -r $cert && -r $key ]] || die "CERT or KEY not readable: $cert $key"
  [[ $(id -u) == 0 ]] || die "must run as root"
  id dovecot >/dev/null 2>&1 && id dovenull >/dev/null 2>&1 ||
    die "users dovecot and dovenull missing: install dovecot-core"
  for arg in "${@:2:$#-3}"; do
    [[ $arg == ssl=no ]] && { ssl=no; continue; }
    [[ $arg =~ ^[a-z0-9]+=[0-9]+$ ]] || die "bad NAME=PORT: $arg"
    pairs+=("$arg")
    ports+=("${arg#*=}")
  done
  ((${#pairs[@]} > 0)) || die "no NAME=PORT given"

  stop_instance "$dir"
  mkdir -p "$dir"/{run,state,tls}
  chmod 0755 "$dir"
  cp "$cert" "$dir/tls/cert.pem"
  cp "$key" "$dir/tls/key.pem"
  chmod 0700 "$dir/tls"
  chmod 0600 "$dir/tls/key.pem"
  write_conf "$dir" "$ssl" "${pairs[@]}"

  if ! dovecot -c "$dir/dovecot.conf" >"$dir/start.log" 2>&1 || ! wait_for_ports "${ports[@]}"; then
    echo "dovecot_instance: instance in $dir did not come up on ${ports[*]}" >&2
    cat "$dir/start.log" "$dir/dovecot.log" >&2 2>/dev/null || true
    return 1
  fi
}

case ${1:-} in
  start)
    start_instance "${@:2}"
    ;;
  stop)
    [[ $# -ge 2 ]] || die "usage: $0 stop DIR"
    stop_instance "$2"
    ;;
  *)
    die "usage: $0 start DIR NAME=PORT... CERT KEY | stop DIR"
    ;;
esac
