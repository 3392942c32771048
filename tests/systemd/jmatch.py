#!/usr/bin/python3
"""jmatch.py COND... - read `journalctl -o json` lines on standard input;
exit 0 when one record meets every COND, else 1 and say which CONDs the
closest record missed.  COND: KEY=VALUE (equal), KEY^=PREFIX (starts
with), KEY~=TEXT (contains), KEY (present).  Used by tests/systemd/run.sh on the host (the
container has no python)."""
import json
import sys


def meets(rec, cond):
    if "~=" in cond:
        key, val = cond.split("~=", 1)
        return key in rec and val in str(rec[key])
    if "^=" in cond:
        key, val = cond.split("^=", 1)
        return str(rec.get(key, "")).startswith(val) and key in rec
    if "=" in cond:
        key, val = cond.split("=", 1)
        return key in rec and str(rec[key]) == val
    return cond in rec


def main(conds):
    best, best_missed = None, conds
    for line in sys.stdin:
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        missed = [c for c in conds if not meets(rec, c)]
        if not missed:
            print(" ".join("%s=%s" % (k, rec[k]) for k in sorted(rec) if k.startswith("FTP_")))
            return 0
        if len(missed) < len(best_missed):
            best, best_missed = rec, missed
    print("no record with all of: %s; closest missed %s (%s)" % (
        " ".join(conds), " ".join(best_missed), best.get("MESSAGE") if best else "no record"))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
