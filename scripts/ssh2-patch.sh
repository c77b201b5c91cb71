#!/usr/bin/env bash
# Regenerate patches/ssh2+1.17.0.patch after editing node_modules/ssh2/lib, keeping its header.
# patch-package ignores lines before the first "diff --git", so the header travels with the patch.
set -euo pipefail
cd "$(dirname "$0")/.."

patch=patches/ssh2+1.17.0.patch
# The native crypto binding's build files differ per machine: never part of the patch.
npx patch-package ssh2 --exclude 'package\.json$|/build/' >/dev/null
{
  cat <<'HEADER'
# ssh2 1.17.0 + OpenSSH certificates (PROTOCOL.certkeys), for fleetctl.
#
# Why: fleetctl's proxy terminates SSH with ssh2 and dials hosts with ssh2, and all trust is
# OpenSSH certificates. Unpatched ssh2 can present a host certificate but signs the key exchange
# under the certificate name (OpenSSH: "key type does not match"), hands user-certificate
# signatures over unstripped, drops certificates an agent lists, signs publickey auth under the
# certificate name (sshd: "Failed publickey"), cannot negotiate or parse host certificates as a
# client, asks agents for SHA-1 RSA certificate signatures, and cannot open an
# auth-agent@openssh.com channel back to a client. It also misses a comma in server-sig-algs.
#
# What: certificates parse as keys (type = certificate type, SSH blob = whole certificate, crypto
# = certified key); every signature made or checked for a certificate uses the base algorithm
# name; certificate host-key algorithms are supported (never offered by default); RSA
# certificates use rsa-sha2-512/256; Connection#openssh_authAgent(cb) opens the agent channel.
# For the proxy: a rejected channel open can say why (reject(code, description)), sessions emit
# RFC 4335 "break" and client channels can send one (Channel#sendBreak). For throughput: a
# `channelPacketSize` option (server config, client config) caps channel data payloads both ways,
# so a connection tunnelled inside another channel sends packets that fit in one of its packets;
# packet padding comes from a pooled CSPRNG buffer instead of one randomFillSync() per packet;
# the packets written to a socket in one tick leave in one writev() (cork until nextTick), except a
# small packet on a socket with nothing queued, which leaves at once (keystrokes and their echo).
# Data packets are carved from a per-cipher arena that starts over once the socket (or channel)
# has taken everything written (a `writeDrained` Protocol option), instead of one allocation each.
# For latency: a connection served inside an ssh2 channel (injectSocket) takes that channel's data
# packets straight from its packet handler and writes its packets straight into the channel while
# nothing is queued there, instead of through the channel's Duplex stream; a relay copying between
# channels can do the same (Channel#_fleetctlSink, Channel#_fleetctlWriteNow).
# Once a key exchange has derived its keys, its shared secret is zeroed and dropped, and its
# ephemeral curve25519 key pair and closures are let go (they lived as long as the connection).
# A server marks each packet as a sign of life for its keepalive timer instead of re-arming the
# timer per packet. A bug fix: a window adjust resumes both the stdout and the stderr chunk waiting for window, and
# forgets them once resumed (upstream resumed only the first, so stderr written while stdout waited
# for a slow reader hung the channel, and could later send a stdout chunk twice).
# Plain-key behaviour is unchanged. No certificate trust checks here: fleetctl's src/certs does
# them. Each change carries a "fleetctl:" comment. Regenerate with scripts/ssh2-patch.sh.
# Proven by test/e2e/ssh2-certs.test.ts against real OpenSSH.
HEADER
  cat "$patch"
} >"$patch.new"
mv "$patch.new" "$patch"
echo "wrote $patch"
