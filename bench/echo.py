#!/usr/bin/env python3
"""One-byte echo latency under a PTY: run `ssh ... -tt host 'stty raw -echo; cat'`, send one byte at
a time, wait for it to come back. Prints the round-trip times in milliseconds as JSON."""
import json, os, pty, select, sys, time

count = int(sys.argv[1])
command = sys.argv[sys.argv.index('--') + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)

def read_until(marker, timeout=20):
    data = b''
    deadline = time.time() + timeout
    while marker not in data:
        ready, _, _ = select.select([fd], [], [], max(0, deadline - time.time()))
        if not ready:
            raise SystemExit(f'timeout waiting for {marker!r}; got {data[-200:]!r}')
        data += os.read(fd, 4096)
    return data

os.write(fd, b'stty raw -echo; echo READY; exec cat\r')
read_until(b'READY\n')
times = []
for i in range(count):
    byte = bytes([ord('a') + i % 26])
    start = time.perf_counter()
    os.write(fd, byte)
    read_until(byte)
    times.append((time.perf_counter() - start) * 1000)
os.write(fd, b'\x04')
os.kill(pid, 15)
print(json.dumps(times))
