#!/usr/bin/env bash
# The end-to-end tests drive real OpenSSH: sshd, ssh, ssh-keygen, ssh-agent (and asciinema as an
# independent reader of recordings), python3, curl and openssl for the proxy's tests, sudo for
# the enrollment tests, and puttygen for ca import's. As root this installs what is missing from
# Debian's packages; otherwise it says what to install.
set -euo pipefail

missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
command -v asciinema >/dev/null 2>&1 || missing+=(asciinema)
# The proxy's tests drive ssh under a real PTY (python3), fetch its web endpoint (curl) and let it
# make its self-signed TLS certificate (openssl).
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# The package-install test builds ssh2's native crypto binding from source (node-gyp) and expects it.
command -v make >/dev/null 2>&1 || missing+=(make)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
# enroll host --sudo is tested with a real sudo (passwordless for one test user, refused for another).
command -v sudo >/dev/null 2>&1 || missing+=(sudo)
# ca import reads PuTTY PPK files: the tests make them with PuTTY's own puttygen.
command -v puttygen >/dev/null 2>&1 || missing+=(putty-tools)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test-prereqs: installing ${missing[*]} from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
  else
    echo "test-prereqs: missing ${missing[*]}; install with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# sshd refuses to start without its privilege-separation directory.
if [ "$(id -u)" = 0 ]; then mkdir -p /run/sshd; fi
