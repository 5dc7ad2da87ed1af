#!/usr/bin/python3
"""Our programs spin only briefly in OpenMP waits unless the user chose
(engine/omp-wait-policy.c).

usage: check.py SHOW_ENV [--valgrind VALGRIND] PROGRAM...

SHOW_ENV (show-env.c, linked as our programs are) reports the arguments and
environment it runs with: the hook must add GOMP_SPINCOUNT=1000 and change
nothing else, add nothing when the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT,
and leave alone a run through ld.so or under valgrind (where executing itself
again would leave valgrind).  For every PROGRAM, libgomp's own report of its
settings (OMP_DISPLAY_ENV) must show the spin count of 1000, and in the first
one the user's settings when they made any.
"""
import os
import re
import struct
import subprocess
import sys

WAIT_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
ARGS = ["", "two words", "caf\u00e9", "--threads=1", "GOMP_SPINCOUNT=7"]
failures = []


def base_environment(**added):
    env = {k: v for k, v in os.environ.items() if k not in WAIT_VARIABLES}
    env["GCUT_PROBE"] = "a=b c"
    env.update(added)
    return env


def interpreter(program):
    """The ELF program interpreter (PT_INTERP) of a 64-bit little-endian program."""
    with open(program, "rb") as f:
        elf = f.read()
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        kind, _, offset, _, _, size = struct.unpack_from("<IIQQQQ", elf, phoff + i * phentsize)
        if kind == 3:
            return elf[offset:offset + size].rstrip(b"\0").decode()
    return None


def shown(command, env):
    run = subprocess.run(command, capture_output=True, env=env, timeout=300)
    if run.returncode != 0:
        failures.append("%s: exit status %d\n%s" % (command, run.returncode,
                                                    run.stderr.decode(errors="replace")[-2000:]))
        return [], [], ""
    fields = [s.decode() for s in run.stdout.split(b"\0")[:-1]]
    argc = int(fields[0])
    return fields[1:1 + argc], fields[1 + argc:], run.stderr.decode(errors="replace")


def expect(what, got, wanted):
    if got == wanted:
        print("ok:", what)
    else:
        failures.append("%s:\n  got    %s\n  wanted %s" % (what, got, wanted))


def check_hook(show_env, valgrind):
    entries = lambda env: ["%s=%s" % kv for kv in env.items()]
    env = base_environment()
    args, environ, _ = shown([show_env] + ARGS, env)
    expect("arguments kept", args, [show_env] + ARGS)
    expect("GOMP_SPINCOUNT=1000 added, nothing else changed", environ,
           entries(env) + ["GOMP_SPINCOUNT=1000"])
    for name, value in (("OMP_WAIT_POLICY", "active"), ("OMP_WAIT_POLICY", "passive"),
                        ("GOMP_SPINCOUNT", "5000"), ("GOMP_SPINCOUNT", "")):
        env = base_environment(**{name: value})
        expect("%s=%s kept, nothing added" % (name, value), shown([show_env], env)[1],
               entries(env))
    ld_so = interpreter(show_env)
    env = base_environment()
    if ld_so:
        args, environ, _ = shown([ld_so, show_env] + ARGS, env)
        expect("run through %s: arguments kept" % ld_so, args, [show_env] + ARGS)
        expect("run through %s: nothing added" % ld_so, environ, entries(env))
    if valgrind:
        args, environ, log = shown([valgrind, "--error-exitcode=1", show_env] + ARGS, env)
        expect("under valgrind: arguments kept", args, [show_env] + ARGS)
        expect("under valgrind: still under valgrind at exit", "ERROR SUMMARY" in log, True)
        expect("under valgrind: no GOMP_SPINCOUNT",
               [e for e in environ if e.startswith("GOMP_SPINCOUNT=")], [])


def libgomp_settings(program, **added):
    """What libgomp says it uses in program: {name: value}."""
    run = subprocess.run([program, "--help"], capture_output=True, text=True, timeout=300,
                         env=base_environment(OMP_DISPLAY_ENV="verbose", **added))
    found = dict(re.findall(r"^\s*(?:\[host\] )?(OMP_WAIT_POLICY|GOMP_SPINCOUNT) = '([^']*)'",
                            run.stderr, re.M))
    if not found:
        failures.append("%s: libgomp printed no settings:\n%s" % (program, run.stderr[-2000:]))
    return found


def check_programs(programs):
    for program in programs:
        expect("%s: libgomp spins 1000 times" % os.path.basename(program),
               libgomp_settings(program).get("GOMP_SPINCOUNT"), "1000")
    first = programs[0]
    for added, name, wanted in (({"OMP_WAIT_POLICY": "active"}, "OMP_WAIT_POLICY", "ACTIVE"),
                                ({"OMP_WAIT_POLICY": "passive"}, "GOMP_SPINCOUNT", "0"),
                                ({"GOMP_SPINCOUNT": "5000"}, "GOMP_SPINCOUNT", "5000")):
        expect("%s with %s: libgomp's %s is %s" % (os.path.basename(first), added, name, wanted),
               libgomp_settings(first, **added).get(name), wanted)


def main():
    show_env, rest = sys.argv[1], sys.argv[2:]
    valgrind = None
    if rest[:1] == ["--valgrind"]:
        valgrind, rest = rest[1], rest[2:]
    check_hook(show_env, valgrind)
    check_programs(rest)
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
