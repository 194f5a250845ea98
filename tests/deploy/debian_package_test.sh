#!/usr/bin/env bash
# Builds the Debian package from this tree around the already built EXPORTER_BINARY
# (build-deb.sh --binary: no second compile in CI), unpacks it with `dpkg -x` into a scratch
# root and runs the installed binary.
#
# Usage: debian_package_test.sh REPOSITORY_ROOT EXPORTER_BINARY
# Checks: control fields (Depends from dpkg-shlibdeps names the four libraries), conffiles,
# file list with owners and modes, the shipped unit and config are the tree's, the man page
# renders without warnings and documents every flag of --help, maintainer scripts parse,
# and the unpacked binary's --version and --config.check on the shipped config.
# Exit status: 0 pass, 1 fail. Writes only into a temporary directory.
set -uo pipefail

repo=${1:?usage: $0 REPOSITORY_ROOT EXPORTER_BINARY}
exe=$(realpath "${2:?}")
for tool in dpkg-deb dpkg-shlibdeps groff; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found; run script/bootstrap"; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
failures=0

# shellcheck source=../shell/check.sh
source "$(dirname "${BASH_SOURCE[0]}")/../shell/check.sh"

# Uncompressed: what is checked is the package's content; xz over a sanitizer binary takes
# most of this test's time.
if ! DEB_COMPRESSION=none "$repo/deploy/debian/build-deb.sh" --binary "$exe" --out "$work/out" \
  >"$work/build.log" 2>&1; then
  echo "FAIL - build-deb.sh"
  cat "$work/build.log"
  exit 1
fi
deb=$(tail -n1 "$work/build.log")
version=$("$exe" --version | awk '{ print $2 }')
arch=$(dpkg --print-architecture)
check "package file is $work/out/starttls-exporter_${version}-1_${arch}.deb" \
  test "$deb" = "$work/out/starttls-exporter_${version}-1_${arch}.deb" -a -f "$deb"

field_is() { [[ $(dpkg-deb --field "$deb" "$1") == "$2" ]]; }
check "Package: starttls-exporter" field_is Package starttls-exporter
check "Version: $version-1" field_is Version "$version-1"
check "Architecture: $arch" field_is Architecture "$arch"
depends=$(dpkg-deb --field "$deb" Depends)
echo "# Depends: $depends"
for library in libgnutls30 libyaml-cpp0.7 libcivetweb1 libprometheus-cpp-core1.0 libc6; do
  check "Depends names $library" grep -qE "(^|, )$library( |,|$)" <<<"$depends"
done
mkdir "$work/control"
dpkg-deb --ctrl-tarfile "$deb" | tar -x -C "$work/control"
check "conffiles is the config" test "$(cat "$work/control/conffiles")" = \
  /etc/starttls_exporter/config.yml
for script in postinst prerm postrm; do
  check "$script is executable and parses" bash -c "test -x '$work/control/$script' && sh -n '$work/control/$script'"
done

# "MODE OWNER PATH" of every regular file.
dpkg-deb --contents "$deb" | awk '$1 ~ /^-/ { print $1, $2, $6 }' | sort >"$work/files.txt"
cat >"$work/files.want" <<'LIST'
-rw-r--r-- root/root ./etc/starttls_exporter/config.yml
-rw-r--r-- root/root ./lib/systemd/system/starttls_exporter.service
-rw-r--r-- root/root ./usr/share/doc/starttls-exporter/copyright
-rw-r--r-- root/root ./usr/share/man/man1/starttls_exporter.1.gz
-rwxr-xr-x root/root ./usr/bin/starttls_exporter
LIST
sort -o "$work/files.want" "$work/files.want"
check "file list, owners and modes" diff "$work/files.want" "$work/files.txt"

root=$work/root
dpkg -x "$deb" "$root"
check "shipped unit is deploy/systemd's" cmp "$repo/deploy/systemd/starttls_exporter.service" \
  "$root/lib/systemd/system/starttls_exporter.service"
check "shipped config is config.example.yaml" cmp "$repo/config.example.yaml" \
  "$root/etc/starttls_exporter/config.yml"

man_clean() {  # groff -ww: every warning; any output at all fails
  gzip -dc "$root/usr/share/man/man1/starttls_exporter.1.gz" >"$work/page.1"
  groff -man -Tutf8 -ww -z "$work/page.1" >"$work/groff.txt" 2>&1
  cat "$work/groff.txt"
  [[ ! -s $work/groff.txt ]]
}
check "man page renders without warnings" man_clean
# Every flag --help lists appears in the man page (where "-" is written "\-").
sed 's/\\-/-/g' "$work/page.1" >"$work/page.txt"
for flag in $("$exe" --help | grep -oE '^  (-h, )?--[a-z][a-z.-]*' | grep -oE -- '--[a-z.-]+'); do
  check "man page documents $flag" grep -qF -- "$flag" "$work/page.txt"
done

installed=$root/usr/bin/starttls_exporter
check "installed --version is $version" bash -c "'$installed' --version | grep -qx 'starttls_exporter $version (gnutls .*)'"
config_check() {
  "$installed" --config.file="$root/etc/starttls_exporter/config.yml" --config.check
}
check "installed --config.check on the shipped config" config_check

echo "$failures failed assertion(s)"
[[ $failures == 0 ]]
