# Run by internal/libvirtd's PyListAllDomains with /usr/bin/python3 -I.
#
# argv: URI READONLY(0|1). stdin: one flags value per line (decimal).
# stdout: one JSON object per flags value, in input order:
#   {"flags":N,"domains":[{"name":..,"uuid":..,"id":..},...]}
#   {"flags":N,"error":{code,domain,message,level,str1,str2,str3,int1,int2}}
# If the connection cannot be opened: one line {"open_error":{...}}, exit 2.
import json
import sys

import libvirt


def quiet(_ctx, _err):
    # libvirt's default handler prints every error to stderr.
    pass


def error_fields(e):
    return {
        "code": e.get_error_code(),
        "domain": e.get_error_domain(),
        "message": e.get_error_message(),
        "level": e.get_error_level(),
        "str1": e.get_str1(),
        "str2": e.get_str2(),
        "str3": e.get_str3(),
        "int1": e.get_int1(),
        "int2": e.get_int2(),
    }


def main():
    uri = sys.argv[1]
    readonly = sys.argv[2] == "1"
    libvirt.registerErrorHandler(quiet, None)
    out = sys.stdout
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    try:
        conn = libvirt.openReadOnly(uri) if readonly else libvirt.open(uri)
    except libvirt.libvirtError as e:
        out.write(dumps({"open_error": error_fields(e)}) + "\n")
        out.flush()
        return 2
    try:
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            flags = int(line)
            try:
                doms = conn.listAllDomains(flags)
            except libvirt.libvirtError as e:
                rec = {"flags": flags, "error": error_fields(e)}
            else:
                rec = {
                    "flags": flags,
                    "domains": [
                        {"name": d.name(), "uuid": d.UUIDString(), "id": d.ID()}
                        for d in doms
                    ],
                }
                del doms
            out.write(dumps(rec) + "\n")
    finally:
        conn.close()
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
