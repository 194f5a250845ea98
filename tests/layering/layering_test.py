#!/usr/bin/env python3
"""The layering rules, over the text of every source and header under src/ and include/.

1. Each third-party C library is included only by the area that owns it. Its headers live
   in /usr/include, where any file can reach them whatever meson says:

     yaml-cpp   src/config/                      (the configuration loader)
     GnuTLS     src/lib/gnutls/, src/tls_client/, src/web/tls/
     CivetWeb   src/web/http/
     libunbound src/dns/
     ldns       src/dns/
     SQLite     src/store/                       (the TLS-RPT report database)
     GMime      src/tlsrpt/                      (report mails)
     zlib       src/tlsrpt/                      (gzip)
     nlohmann-json  src/report/, src/tlsrpt/     (JSON out and in)

   Public headers (include/) include none of them: they are what every area sees.
2. Areas are ranked (AREAS, lowest first; ARCHITECTURE.md "The areas"): a file of one area
   includes public headers (include/starttls_exporter/AREA/...) only of its own area or of
   lower ones. A public header outside an area folder, or a src/ folder with no rank, is a
   violation too, so a new area must be ranked here before it is used.
3. Files in src/ stay at most 300 lines. Each violation is printed as FILE:LINE: message; the exit status is 1
when there is one. Before checking the tree the test checks itself on a small tree of its own
with known violations, so a rule that silently stopped matching fails too.

Usage: layering_test.py REPOSITORY_ROOT
"""

import os
import re
import sys
import tempfile

# (what the include names, the library, the folders that may include it)
RULES = [
    (re.compile(r"^yaml-cpp/"), "yaml-cpp", ["src/config/"]),
    (re.compile(r"^gnutls/"), "GnuTLS", ["src/lib/gnutls/", "src/tls_client/", "src/web/tls/"]),
    (re.compile(r"^civetweb\.h$"), "CivetWeb", ["src/web/http/"]),
    (re.compile(r"^unbound(-event)?\.h$"), "libunbound", ["src/dns/"]),
    (re.compile(r"^ldns/"), "ldns", ["src/dns/"]),
    (re.compile(r"^sqlite3\.h$"), "SQLite", ["src/store/"]),
    (re.compile(r"^gmime/"), "GMime", ["src/tlsrpt/"]),
    (re.compile(r"^zlib\.h$"), "zlib", ["src/tlsrpt/"]),
    (re.compile(r"^nlohmann/"), "nlohmann-json", ["src/report/", "src/tlsrpt/"]),
]
# Lowest first; the order of the subdir() calls in meson.build.
AREAS = ["core", "log", "config", "lib/gnutls", "tlsrpt", "store", "dns", "policy", "tls_client",
         "prober", "scheduler", "domains", "metrics", "runtime", "report", "web", "app"]
RANK = {area: rank for rank, area in enumerate(AREAS)}
PUBLIC = re.compile(r"^starttls_exporter/(.+)/[^/]+\.hpp$")
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')
SOURCE_ENDINGS = (".cpp", ".hpp", ".h", ".cc", ".c")
MAX_LINES = 300


def source_files(root):
    for top in ("src", "include"):
        for folder, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if name.endswith(SOURCE_ENDINGS):
                    path = os.path.join(folder, name)
                    yield os.path.relpath(path, root).replace(os.sep, "/"), path


def area_of(relative):
    """The area of a file under src/ or include/starttls_exporter/, or None."""
    parts = relative.split("/")
    if parts[0] == "include":
        parts = parts[1:]
    if len(parts) < 3:
        return None
    if parts[1] == "lib" and len(parts) >= 4:
        return "lib/" + parts[2]
    return parts[1] if parts[1] in RANK else None


def rank_violation(relative, header):
    """Why including `header` from `relative` breaks the ranking, or None."""
    match = PUBLIC.match(header)
    if not match and not header.startswith("starttls_exporter/"):
        return None
    target = match.group(1) if match else None
    if target not in RANK:
        return f"includes <{header}>, which is in no ranked area (tests/layering AREAS)"
    own = area_of(relative)
    if own is None:
        return f"is in no ranked area (tests/layering AREAS) but includes <{header}>"
    if RANK[target] > RANK[own]:
        return (f"includes <{header}>: {own} may include only itself and the areas below it "
                f"({', '.join(AREAS[:RANK[own]]) or 'none'})")
    return None


def violations(root):
    found = []
    for relative, path in source_files(root):
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
        if relative.startswith("include/") and area_of(relative) is None:
            found.append(f"{relative}:1: a public header outside an area folder "
                         "(include/starttls_exporter/AREA/, AREA ranked in tests/layering)")
        if relative.startswith("src/") and len(lines) > MAX_LINES:
            found.append(f"{relative}:{len(lines)}: {len(lines)} lines, more than {MAX_LINES}: "
                         "split the file")
        for number, line in enumerate(lines, 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            header = match.group(1)
            why = rank_violation(relative, header)
            if why:
                found.append(f"{relative}:{number}: {why}")
            for pattern, library, owners in RULES:
                if pattern.search(header) and not any(relative.startswith(o) for o in owners):
                    found.append(f"{relative}:{number}: includes <{header}>, but only "
                                 f"{', '.join(owners)} may include {library}")
    return found


def self_test():
    """The rules catch what they must and pass what they may."""
    files = {
        "src/config/loader.cpp": "#include <yaml-cpp/yaml.h>\n",
        "src/metrics/bad.cpp": "#include <yaml-cpp/yaml.h>\n",
        "src/tls_client/ok.cpp": "#include <gnutls/gnutls.h>\n",
        "src/prober/bad.cpp": "int x;\n  #  include <gnutls/x509.h>\n",
        "src/web/http/ok.cpp": '#include "civetweb.h"\n',
        "src/web/bad.cpp": "#include <civetweb.h>\n",
        "src/dns/ok.cpp": "#include <unbound.h>\n#include <ldns/ldns.h>\n",
        "src/scheduler/bad.cpp": "#include <unbound.h>\n",
        "include/starttls_exporter/store/bad.hpp": "#include <sqlite3.h>\n",
        "src/core/long.cpp": "\n" * (MAX_LINES + 1),
        "src/core/fine.cpp": "\n" * MAX_LINES,
        "src/store/upward.cpp": '#include "starttls_exporter/dns/dns.hpp"\n',
        "src/metrics/ok.cpp": '#include "starttls_exporter/store/result_store.hpp"\n'
                              '#include "starttls_exporter/metrics/collector.hpp"\n',
        "include/starttls_exporter/policy/up.hpp": '#include "starttls_exporter/app/x.hpp"\n',
        "include/starttls_exporter/flat.hpp": "int y;\n",
        "src/web/gate/ok.cpp": '#include "starttls_exporter/report/report.hpp"\n',
        "src/lib/gnutls/ok.cpp": '#include "starttls_exporter/config/config.hpp"\n',
        "src/core/unranked.cpp": '#include "starttls_exporter/flat.hpp"\n',
        "src/tlsrpt/ok.cpp": "#include <gmime/gmime.h>\n#include <zlib.h>\n",
        "src/web/bad_sqlite.cpp": "#include <sqlite3.h>\n",
    }
    with tempfile.TemporaryDirectory() as root:
        for relative, text in files.items():
            path = os.path.join(root, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        found = violations(root)
    expected = ["src/metrics/bad.cpp:1:", "src/prober/bad.cpp:2:", "src/web/bad.cpp:1:",
                "src/scheduler/bad.cpp:1:", "include/starttls_exporter/store/bad.hpp:1:",
                "src/core/long.cpp:301:", "src/store/upward.cpp:1:",
                "include/starttls_exporter/policy/up.hpp:1:", "src/core/unranked.cpp:1:",
                "include/starttls_exporter/flat.hpp:1:", "src/web/bad_sqlite.cpp:1:"]
    got = sorted(v.split(" ")[0] for v in found)
    if got != sorted(expected):
        print("layering self-test failed: expected", sorted(expected), "got", got)
        return False
    return True


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    if not self_test():
        return 1
    found = violations(sys.argv[1])
    for line in found:
        print(line)
    files = sum(1 for _ in source_files(sys.argv[1]))
    print(f"layering: {files} files checked, {len(found)} violation(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
