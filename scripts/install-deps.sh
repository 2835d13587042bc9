#!/usr/bin/env bash
# Installs the Debian 12 packages netpolgen builds and tests with. Idempotent and
# non-interactive: when every package is already there it changes nothing and needs no network.
#
# Versions are those of Debian 12 (bookworm) that the project was built and tested with; the
# script refuses older ones (a newer point release of the same package is accepted).
set -euo pipefail

# package            tested version
PACKAGES="
build-essential      12.9
cmake                3.25.1
ninja-build          1.11.1
pkg-config           1.8.1
clang                1:14.0-55.7~deb12u1
libclang-rt-14-dev   1:14.0.6-12
clang-format         1:14.0-55.7~deb12u1
googletest           1.12.1-0.2
libgtest-dev         1.12.1-0.2
libgmock-dev         1.12.1-0.2
libbenchmark-dev     1.7.1-1
libyaml-dev          0.2.5-1
nlohmann-json3-dev   3.11.2-2
libsimdjson-dev      3.0.1-1
libcli11-dev         2.1.2+ds-1
libfmt-dev           9.1.0+ds1-2
zlib1g-dev           1:1.2.13.dfsg-1
libzstd-dev          1.5.4+dfsg2-5
gettext-base         0.21-12
python3              3.11.2-1+b1
python3-jsonschema   4.10.3-1
python3-yaml         6.0-3+b2
zstd                 1.5.4+dfsg2-5
graphviz             2.42.2-7+deb12u1
libsqlite3-dev       3.40.1-2+deb12u2
sqlite3              3.40.1-2+deb12u2
libpq-dev            15.18-0+deb12u1
postgresql           15+248+deb12u1
postgresql-15        15.18-0+deb12u1
libssl-dev           3.0.19-1~deb12u2
libcurl4-openssl-dev 7.88.1-10+deb12u15
libcpp-httplib-dev   0.11.4+ds-1+deb12u1
libboost1.81-dev     1.81.0-5+deb12u1
nodejs               18.20.4+dfsg-1~deb12u3
chromium             156.0.8078.108-1~deb12u1
wrk                  4.1.0-3+b2
libprotobuf-dev      3.21.12-3+deb12u1
protobuf-compiler    3.21.12-3+deb12u1
libgrpc++-dev        1.51.1-3+b1
protobuf-compiler-grpc 1.51.1-3+b1
librdkafka-dev       2.0.2-1
time                 1.9-0.2
libbpf-dev           1:1.1.2-0+deb12u1
bpftool              7.1.0+6.1.192-3
libnetfilter-conntrack-dev 1.0.9-3
conntrack            1:1.4.7-1+b2
nftables             1.0.6-2+deb12u2
iproute2             6.1.0-3
"

missing=()
too_old=()
while read -r pkg version; do
    [ -n "$pkg" ] || continue
    installed=$(dpkg-query -W -f='${Status} ${Version}' "$pkg" 2>/dev/null || true)
    case "$installed" in
        "install ok installed "*)
            have=${installed#install ok installed }
            if ! dpkg --compare-versions "$have" ge "$version"; then
                too_old+=("$pkg ($have < $version)")
            fi
            ;;
        *) missing+=("$pkg") ;;
    esac
done <<< "$PACKAGES"
# npm (web/, the portal's bundler and browser-test driver) is part of the nodejs package when
# Node.js comes from NodeSource, and a package of its own in Debian.
command -v npm >/dev/null 2>&1 || missing+=("npm")

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ${#too_old[@]} -gt 0 ]; then
    echo "install-deps: packages older than tested: ${too_old[*]}" >&2
    exit 1
fi
echo "install-deps: all build and test packages present"
