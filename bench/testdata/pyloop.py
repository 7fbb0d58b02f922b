# Times libvirt's C client from inside Python, for BenchmarkListAllDomains*.
#
# argv: URI. It opens URI once (libvirt.open, no event loop, so no
# keepalive), then reads one decimal count N per line on stdin and answers
# each with one line "NS LEN": the nanoseconds (time.perf_counter_ns) that
# N calls of conn.listAllDomains(0) took, and the length of the last list.
# Process start-up, the open and the pipe are outside the timed loop.
import sys
import time

import libvirt


def quiet(_ctx, _err):
    pass


def main():
    uri = sys.argv[1]
    libvirt.registerErrorHandler(quiet, None)
    conn = libvirt.open(uri)
    out = sys.stdout
    clock = time.perf_counter_ns
    try:
        for line in sys.stdin:
            n = int(line)
            doms = None
            start = clock()
            for _ in range(n):
                doms = conn.listAllDomains(0)
            elapsed = clock() - start
            out.write("%d %d\n" % (elapsed, len(doms) if doms is not None else -1))
            out.flush()
            del doms
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
