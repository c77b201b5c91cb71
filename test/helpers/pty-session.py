#!/usr/bin/env python3
"""Drive a command under a real pseudo-terminal, step by step, for the proxy's e2e tests.

Usage: pty-session.py STEPS_JSON -- command args...
Steps: {"send": text}, {"expect": text, "timeout": s}, {"resize": [cols, rows]} (TIOCSWINSZ on the
terminal and SIGWINCH to the command, as a terminal emulator does), {"touch": path} (tell the
test something happened), {"sleep": s}. After the steps it reads until the command exits.
Prints a JSON object: the transcript, the exit code, and the step that timed out (if any).
"""
import fcntl, json, os, pty, select, signal, struct, sys, termios, time

steps = json.loads(sys.argv[1])
command = sys.argv[sys.argv.index('--') + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)

def set_size(cols, rows):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))

set_size(80, 24)
transcript = b''
failed = None

def read_some(timeout):
    global transcript
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return True
    try:
        data = os.read(fd, 65536)
    except OSError:
        return False
    if not data:
        return False
    transcript += data
    return True

for index, step in enumerate(steps):
    if 'send' in step:
        os.write(fd, step['send'].encode())
    elif 'expect' in step:
        deadline = time.time() + step.get('timeout', 15)
        start = len(transcript) if step.get('new') else 0
        while step['expect'].encode() not in transcript[start:]:
            if time.time() > deadline or not read_some(0.1):
                failed = {'step': index, **step}
                break
        if failed:
            break
    elif 'resize' in step:
        set_size(*step['resize'])
        os.kill(pid, signal.SIGWINCH)
    elif 'touch' in step:
        open(step['touch'], 'w').close()
    elif 'sleep' in step:
        end = time.time() + step['sleep']
        while time.time() < end:
            if not read_some(0.05):
                break

deadline = time.time() + 20
while time.time() < deadline and read_some(0.2):
    pass
if time.time() >= deadline:
    os.kill(pid, signal.SIGKILL)
try:
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
except ChildProcessError:
    code = None
print(json.dumps({'transcript': transcript.decode('utf-8', 'replace'), 'exitCode': code, 'failed': failed}))
