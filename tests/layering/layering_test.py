#!/usr/bin/env python3
"""The layering rule: each third-party C library is included only by the area that owns it.

Its headers live in /usr/include, where any file can reach them whatever meson says, so the
rule is checked here, over the text of every source and header under src/ and include/:

  yaml-cpp   src/config/                      (the configuration loader)
  GnuTLS     src/lib/gnutls/, src/tls_client/, src/web/tls/
  CivetWeb   src/web/http/
  libunbound src/dns/                         (DNS with DNSSEC, when it lands)
  ldns       src/dns/
  libcurl    src/policy/                      (the MTA-STS policy fetch, when it lands)

Public headers (include/) include none of them: they are what every area sees. Files in src/
stay at most 300 lines. Each violation is printed as FILE:LINE: message; the exit status is 1
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
    (re.compile(r"yaml-cpp/"), "yaml-cpp", ["src/config/"]),
    (re.compile(r"gnutls/"), "GnuTLS", ["src/lib/gnutls/", "src/tls_client/", "src/web/tls/"]),
    (re.compile(r"civetweb\.h$"), "CivetWeb", ["src/web/http/"]),
    (re.compile(r"unbound(-event)?\.h$"), "libunbound", ["src/dns/"]),
    (re.compile(r"ldns/"), "ldns", ["src/dns/"]),
    (re.compile(r"curl/"), "libcurl", ["src/policy/"]),
]
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


def violations(root):
    found = []
    for relative, path in source_files(root):
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
        if relative.startswith("src/") and len(lines) > MAX_LINES:
            found.append(f"{relative}:{len(lines)}: {len(lines)} lines, more than {MAX_LINES}: "
                         "split the file")
        for number, line in enumerate(lines, 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            header = match.group(1)
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
        "include/starttls_exporter/bad.hpp": "#include <curl/curl.h>\n",
        "src/core/long.cpp": "\n" * (MAX_LINES + 1),
        "src/core/fine.cpp": "\n" * MAX_LINES,
    }
    with tempfile.TemporaryDirectory() as root:
        for relative, text in files.items():
            path = os.path.join(root, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        found = violations(root)
    expected = ["src/metrics/bad.cpp:1:", "src/prober/bad.cpp:2:", "src/web/bad.cpp:1:",
                "src/scheduler/bad.cpp:1:", "include/starttls_exporter/bad.hpp:1:",
                "src/core/long.cpp:301:"]
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
