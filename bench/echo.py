#!/usr/bin/env python3
"""One-byte echo latency under a PTY: run `ssh ... -tt host 'stty raw -echo; cat'`, send one byte at
a time, wait for it to come back. Prints JSON: the round-trip times in milliseconds, and with
`--cpu-of PID` the nanoseconds that process's main thread ran during the round trips (schedstat)."""
import json, os, pty, select, sys, time

count = int(sys.argv[1])
command = sys.argv[sys.argv.index('--') + 1:]
options = sys.argv[2:sys.argv.index('--')]
cpu_of = options[options.index('--cpu-of') + 1] if '--cpu-of' in options else None
gap = float(options[options.index('--gap-ms') + 1]) / 1000 if '--gap-ms' in options else 0

def run_ns():
    if cpu_of is None:
        return 0
    with open(f'/proc/{cpu_of}/task/{cpu_of}/schedstat') as f:
        return int(f.read().split()[0])
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
cpu_before = run_ns()
for i in range(count):
    if gap:
        time.sleep(gap)
    byte = bytes([ord('a') + i % 26])
    start = time.perf_counter()
    os.write(fd, byte)
    read_until(byte)
    times.append((time.perf_counter() - start) * 1000)
cpu_ns = run_ns() - cpu_before
os.write(fd, b'\x04')
os.kill(pid, 15)
print(json.dumps({'times': times, 'cpu_ns': cpu_ns if cpu_of else None}))
