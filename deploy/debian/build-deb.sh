#!/usr/bin/env bash
# Builds the Debian package of starttls_exporter from this tree.
#
# Usage: deploy/debian/build-deb.sh [--build-dir DIR] [--binary PATH] [--out DIR]
#
#   --build-dir DIR  meson build directory for the release build (default: build-deb/ in the
#                    repository). Created with buildtype=release, prefix=/usr and
#                    werror=false when missing; an existing one is reused (it must have
#                    prefix /usr), so rebuilds are incremental. Only the executable is built, then installed with
#                    `meson install --destdir` (stripped).
#   --binary PATH    package PATH (a stripped copy) as /usr/bin/starttls_exporter instead of
#                    building (the tests use the binary they already built).
#   --out DIR        where the .deb goes (default: the current directory).
# Environment: JOBS, ninja's parallel jobs (default: the number of CPUs).
#
# The package, starttls-exporter (Debian names allow no "_"), holds:
#   /usr/bin/starttls_exporter
#   /lib/systemd/system/starttls_exporter.service        deploy/systemd/
#   /etc/starttls_exporter/config.yml (conffile)          config.example.yaml
#   /usr/share/man/man1/starttls_exporter.1.gz            deploy/debian/starttls_exporter.1
#   /usr/share/doc/starttls-exporter/copyright
# Depends comes from dpkg-shlibdeps, so it names exactly the libraries the binary links.
# Version: the binary's own (--version), Debian revision 1. Files are owned by root
# (dpkg-deb --root-owner-group); no fakeroot needed. The last line of output is the .deb path.
# Needs: dpkg-dev (dpkg-shlibdeps), meson and ninja unless --binary is given.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=$repo/build-deb
binary=
out=$PWD
while [[ $# -gt 0 ]]; do
  case $1 in
    --build-dir) build_dir=${2:?--build-dir needs a value}; shift 2 ;;
    --binary) binary=${2:?--binary needs a value}; shift 2 ;;
    --out) out=${2:?--out needs a value}; shift 2 ;;
    *) echo "usage: $0 [--build-dir DIR] [--binary PATH] [--out DIR]" >&2; exit 2 ;;
  esac
done
package=starttls-exporter
maintainer=${DEB_MAINTAINER:-starttls_exporter maintainers <root@localhost>}

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
# dpkg-shlibdeps wants the layout of a source package: debian/control and debian/PACKAGE/.
root=$work/debian/$package
mkdir -p "$root/DEBIAN"

if [[ -n $binary ]]; then
  install -D -m 0755 --strip "$binary" "$root/usr/bin/starttls_exporter"
else
  if [[ ! -f $build_dir/meson-private/coredata.dat ]]; then
    # werror off: GCC 12 at -O3 reports false -Wrestrict positives inside std::string
    # (GCC PR 105329); CI builds with warnings as errors at -O2 (script/test).
    meson setup "$build_dir" "$repo" --buildtype=release --prefix=/usr -Dwerror=false >&2
  fi
  prefix=$(meson introspect --buildoptions "$build_dir" |
    python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')
  [[ $prefix == /usr ]] || { echo "$0: $build_dir has prefix $prefix, want /usr" >&2; exit 1; }
  ninja -C "$build_dir" -j "${JOBS:-$(nproc)}" src/app/starttls_exporter >&2
  meson install -C "$build_dir" --no-rebuild --strip --destdir "$root" --tags runtime >&2
fi
exe=$root/usr/bin/starttls_exporter
[[ -x $exe ]] || { echo "$0: no $exe after install" >&2; exit 1; }

install -D -m 0644 "$repo/deploy/systemd/starttls_exporter.service" \
  "$root/lib/systemd/system/starttls_exporter.service"
install -D -m 0644 "$repo/config.example.yaml" "$root/etc/starttls_exporter/config.yml"
mkdir -p "$root/usr/share/man/man1"
gzip -9n <"$repo/deploy/debian/starttls_exporter.1" >"$root/usr/share/man/man1/starttls_exporter.1.gz"
chmod 0644 "$root/usr/share/man/man1/starttls_exporter.1.gz"
install -D -m 0644 "$repo/deploy/debian/copyright" "$root/usr/share/doc/$package/copyright"
for script in postinst prerm postrm; do
  install -m 0755 "$repo/deploy/debian/$script" "$root/DEBIAN/$script"
done
echo /etc/starttls_exporter/config.yml >"$root/DEBIAN/conffiles"

version=$("$exe" --version | awk '{ print $2 }')
[[ $version =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || { echo "$0: bad version \"$version\"" >&2; exit 1; }
arch=$(dpkg --print-architecture)
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$package" "$package" \
  >"$work/debian/control"
# dpkg 1.21 warns "binaries to analyze should already be installed in their package's
# directory" even for this layout; the result is right, so that one line is dropped.
depends=$(cd "$work" && dpkg-shlibdeps -O -e "$root/usr/bin/starttls_exporter" \
  2> >(grep -v "should already be installed in their package" >&2) |
  sed -n 's/^shlibs:Depends=//p')
[[ -n $depends ]] || { echo "$0: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)

cat >"$root/DEBIAN/control" <<CONTROL
Package: $package
Version: $version-1
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $depends
Section: net
Priority: optional
Homepage: https://prometheus.io/docs/instrumenting/exporters/
Description: Prometheus exporter for SMTP STARTTLS and mail server certificates
 Probes the configured mail servers on a schedule: SMTP up to STARTTLS, a TLS
 handshake with GnuTLS, certificate verification. Serves on /metrics whether
 each probe succeeded, the days until the certificate expires, the negotiated
 TLS version and cipher, per-phase durations and, for a failed probe, the phase
 and reason. Runs as a hardened systemd service on port 9725.
CONTROL

mkdir -p "$out"
deb=$out/${package}_${version}-1_${arch}.deb
# DEB_COMPRESSION (xz, gzip or none; default xz, as Debian ships): the test builds its package
# of a sanitizer binary without compression, which xz would take a minute and a half over.
dpkg-deb --root-owner-group "-Z${DEB_COMPRESSION:-xz}" --build "$root" "$deb" >&2
echo "$deb"
