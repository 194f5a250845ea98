#!/usr/bin/env bash
# Runs a private, loopback-only Postfix instance for tests.
#
# Usage:
#   postfix_instance.sh start DIR PORT CERT KEY [ipv6] [submission=PORT] [smtps=PORT] [plain=PORT]
#                             [maildir=ADDRESS:MAILDIR]
#   postfix_instance.sh reload DIR CERT KEY
#   postfix_instance.sh stop DIR
#
# start: builds a complete instance under DIR (absolute; created if missing): its own
#   config_directory DIR/etc, queue_directory DIR/queue, data_directory DIR/data and log file
#   DIR/maillog (postlogd, so no syslog is needed). smtpd listens only on 127.0.0.1:PORT (and
#   [::1]:PORT with "ipv6") with STARTTLS offered (smtpd_tls_security_level = may) using CERT
#   (a PEM leaf, optionally followed by its chain) and KEY. It relays nothing and delivers
#   nothing. Optional extra smtpd services on 127.0.0.1 (master.cf): submission=PORT (STARTTLS,
#   no SASL, so no AUTH is offered), smtps=PORT (implicit TLS, smtpd_tls_wrappermode) and
#   plain=PORT (smtpd_tls_security_level = none: STARTTLS not offered). maildir=ADDRESS:MAILDIR
#   accepts mail for ADDRESS alone and delivers it (virtual(8)) into MAILDIR (absolute; a
#   Maildir with new/, cur/, tmp/, created and owned by user postfix): how a TLS-RPT
#   rua=mailto: mailbox is fed.
#   Returns once the port answers with a 220 greeting; on failure prints the log and
#   exits non-zero. A leftover instance in DIR (an earlier crashed run) is stopped first.
# reload: installs CERT and KEY in the running instance and runs `postfix reload`, as a
#   renewal hook does: new smtpd processes serve them.
# stop: stops the instance in DIR (SIGKILL to its master if it will not stop) and removes DIR.
#   Safe to call when nothing runs or DIR does not exist.
#
# Never touches the system instance: every path, the pid file and the lock file live in DIR.
# `postfix -c DIR/etc` needs no alternate_config_directories entry when run as root; Debian's
# "No configuration" install has no /etc/postfix/main.cf and none is created here.
# Must run as root (Postfix' master drops privileges to mail_owner=postfix itself).
set -euo pipefail

die() { echo "postfix_instance: $*" >&2; exit 1; }

master_pid() {  # prints the live master's pid, or nothing
  local pid_file=$1/queue/pid/master.pid pid
  [[ -r $pid_file ]] || return 0
  pid=$(tr -dc '0-9' <"$pid_file")
  # A stale pid file may name a reused pid: only a live Postfix master counts.
  [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == master ]] && echo "$pid"
  return 0
}

stop_instance() {
  local dir=$1 pid i
  [[ -d $dir ]] || return 0
  if [[ -f $dir/etc/main.cf ]]; then
    postfix -c "$dir/etc" stop >/dev/null 2>&1 || true
  fi
  pid=$(master_pid "$dir")
  for ((i = 0; i < 50 && ${#pid} > 0; i++)); do
    sleep 0.1
    pid=$(master_pid "$dir")
  done
  if [[ -n $pid ]]; then
    # The master's children exit by themselves once the master is gone.
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf -- "$dir"
}

write_main_cf() {
  local dir=$1 inet_protocols=$2
  cat >"$dir/etc/main.cf" <<CF
# Private test instance; see tests/integration/postfix_instance.sh.
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = $dir
maillog_file = $dir/maillog
myhostname = mx.test
mydomain = test
myorigin = \$myhostname
smtpd_banner = \$myhostname ESMTP
inet_interfaces = loopback-only
inet_protocols = $inet_protocols
# No relaying, no delivery of any kind: every recipient is rejected.
mydestination =
relay_domains =
mynetworks =
local_recipient_maps =
alias_maps =
alias_database =
local_transport = error:local delivery is disabled
default_transport = error:outbound delivery is disabled
smtpd_relay_restrictions = reject
smtpd_recipient_restrictions = reject
biff = no
smtpd_tls_security_level = may
smtpd_tls_chain_files = $dir/tls/key.pem, $dir/tls/cert.pem
smtpd_tls_loglevel = 1
CF
}

# Appended to main.cf for maildir=ADDRESS:MAILDIR (later entries override earlier ones).
write_maildir_cf() {
  local dir=$1 address=$2 maildir=$3 domain=${2#*@}
  mkdir -p "$maildir"/{new,cur,tmp}
  chown -R postfix: "$maildir"
  cat >>"$dir/etc/main.cf" <<CF
smtpd_relay_restrictions = permit_auth_destination, reject
smtpd_recipient_restrictions = permit_auth_destination, reject
virtual_mailbox_domains = $domain
virtual_mailbox_base = /
virtual_mailbox_maps = inline:{ $address=${maildir#/}/ }
virtual_uid_maps = static:$(id -u postfix)
virtual_gid_maps = static:$(id -g postfix)
virtual_transport = virtual
CF
  echo "virtual   unix  - n n -     - virtual" >>"$dir/etc/master.cf"
}

write_master_cf() {
  local dir=$1 port=$2 ipv6=$3 submission=${4:-} smtps=${5:-} plain=${6:-}
  {
    echo "# service type private unpriv chroot wakeup maxproc command"
    echo "127.0.0.1:$port inet n - n - - smtpd"
    [[ $ipv6 == 1 ]] && echo "[::1]:$port inet n - n - - smtpd"
    [[ -n $submission ]] && echo "127.0.0.1:$submission inet n - n - - smtpd"
    [[ -n $smtps ]] && printf '%s\n  %s\n' "127.0.0.1:$smtps inet n - n - - smtpd" \
      "-o smtpd_tls_wrappermode=yes"
    [[ -n $plain ]] && printf '%s\n  %s\n' "127.0.0.1:$plain inet n - n - - smtpd" \
      "-o smtpd_tls_security_level=none"
    cat <<'CF'
cleanup   unix  n - n -     0 cleanup
qmgr      unix  n - n 300   1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -     - trivial-rewrite
bounce    unix  - - n -     0 bounce
defer     unix  - - n -     0 bounce
trace     unix  - - n -     0 bounce
verify    unix  - - n -     1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -     - proxymap
showq     unix  n - n -     - showq
error     unix  - - n -     - error
retry     unix  - - n -     - error
discard   unix  - - n -     - discard
anvil     unix  - - n -     1 anvil
scache    unix  - - n -     1 scache
postlog   unix-dgram n - n - 1 postlogd
CF
  } >"$dir/etc/master.cf"
}

wait_for_greeting() {  # up to ~15 s
  local port=$1 i line
  for ((i = 0; i < 150; i++)); do
    line=$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -n1 <&3" 2>/dev/null) || true
    [[ $line == 220* ]] && return 0
    sleep 0.1
  done
  return 1
}

start_instance() {
  local dir=$1 port=$2 cert=$3 key=$4 ipv6=0 protocols=ipv4 submission= smtps= plain= arg
  local maildir=
  for arg in "${@:5}"; do
    case $arg in
      ipv6) ipv6=1; protocols=all ;;
      submission=[0-9]*) submission=${arg#*=} ;;
      smtps=[0-9]*) smtps=${arg#*=} ;;
      plain=[0-9]*) plain=${arg#*=} ;;
      maildir=*@*:/*) maildir=${arg#*=} ;;
      *) die "unknown option: $arg" ;;
    esac
  done
  [[ $dir == /* ]] || die "DIR must be an absolute path: $dir"
  [[ $port =~ ^[0-9]+$ ]] || die "bad PORT: $port"
  [[ -r $cert && -r $key ]] || die "CERT or KEY not readable: $cert $key"
  [[ $(id -u) == 0 ]] || die "must run as root"
  id postfix >/dev/null 2>&1 || die "user 'postfix' missing: install the postfix package"

  stop_instance "$dir"
  mkdir -p "$dir"/{etc,queue,data,tls}
  chmod 0755 "$dir" "$dir/etc" "$dir/queue"
  chown postfix "$dir/data"
  # mail_owner must reach its directories: mktemp -d makes 0700 parents, for instance.
  runuser -u postfix -- test -w "$dir/data" ||
    die "user postfix cannot reach $dir/data: make every parent of DIR world-searchable"
  cp "$cert" "$dir/tls/cert.pem"
  cp "$key" "$dir/tls/key.pem"
  chmod 0700 "$dir/tls"
  chmod 0600 "$dir/tls/key.pem"
  write_main_cf "$dir" "$protocols"
  write_master_cf "$dir" "$port" "$ipv6" "$submission" "$smtps" "$plain"
  [[ -z $maildir ]] || write_maildir_cf "$dir" "${maildir%%:*}" "${maildir#*:}"

  if ! postfix -c "$dir/etc" start >"$dir/start.log" 2>&1 || ! wait_for_greeting "$port"; then
    echo "postfix_instance: instance in $dir did not come up on port $port" >&2
    cat "$dir/start.log" "$dir/maillog" >&2 2>/dev/null || true
    return 1
  fi
}

reload_instance() {
  local dir=$1 cert=$2 key=$3
  [[ -n $(master_pid "$dir") ]] || die "no instance runs in $dir"
  cp "$cert" "$dir/tls/cert.pem"
  cp "$key" "$dir/tls/key.pem"
  postfix -c "$dir/etc" reload >>"$dir/start.log" 2>&1 || die "postfix reload failed in $dir"
}

case ${1:-} in
  reload)
    [[ $# -ge 4 ]] || die "usage: $0 reload DIR CERT KEY"
    reload_instance "$2" "$3" "$4"
    ;;
  start)
    [[ $# -ge 5 ]] || die "usage: $0 start DIR PORT CERT KEY [ipv6] [submission=PORT] [smtps=PORT] [plain=PORT]"
    start_instance "${@:2}"
    ;;
  stop)
    [[ $# -ge 2 ]] || die "usage: $0 stop DIR"
    stop_instance "$2"
    ;;
  *)
    die "usage: $0 start DIR PORT CERT KEY [ipv6] [submission=PORT] [smtps=PORT] [plain=PORT] | stop DIR"
    ;;
esac
