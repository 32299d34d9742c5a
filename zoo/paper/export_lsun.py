"""Export LSUN's images from its LMDB (as `deno task fetch-paper --only lsun-church` downloads it) to a
folder of image files, which the pipeline reads as `data.church` (configs/paper.json).

  /usr/bin/python3 zoo/paper/export_lsun.py \
      --lmdb artifacts/paper/lsun-church/church_outdoor_train_lmdb.zip \
      --out artifacts/paper/lsun-church/church_outdoor [--limit 10000]

--lmdb is the downloaded zip or the LMDB folder it unpacks to (data.mdb inside). Each value is one
encoded image; its bytes are written unchanged, named by its key, with the extension its format's
signature gives (.jpg, .webp or .png); a value of another format is an error naming its key. Keys are
exported in the database's order (sorted), the first --limit of them. Needs Debian's python3-lmdb.
"""
import argparse
import os
import sys
import tempfile
import zipfile

SIGNATURES = [(b"\xff\xd8\xff", ".jpg"), (b"\x89PNG\r\n\x1a\n", ".png")]


class ExportError(Exception):
    pass


def extension(value, key):
    for magic, ext in SIGNATURES:
        if value.startswith(magic):
            return ext
    if value[:4] == b"RIFF" and value[8:12] == b"WEBP":
        return ".webp"
    raise ExportError(f"entry {key!r} is not a JPEG, PNG or WebP image (starts {value[:8].hex()})")


def lmdb_dir(path, scratch):
    """The folder holding data.mdb: `path` itself, or where its zip unpacks in `scratch`."""
    if os.path.isdir(path):
        found = [root for root, _, files in os.walk(path) if "data.mdb" in files]
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            z.extractall(scratch)
        found = [root for root, _, files in os.walk(scratch) if "data.mdb" in files]
    else:
        raise ExportError(f"{path}: neither an LMDB folder nor a zip of one")
    if len(found) != 1:
        raise ExportError(f"{path}: expected one LMDB (data.mdb), found {len(found)}")
    return found[0]


def export(path, out, limit=None):
    import lmdb
    os.makedirs(out, exist_ok=True)
    written = 0
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(out))) as scratch:
        env = lmdb.open(lmdb_dir(path, scratch), readonly=True, lock=False, readahead=False)
        try:
            with env.begin() as txn:
                for key, value in txn.cursor():
                    if limit is not None and written >= limit:
                        break
                    name = key.decode("ascii", "replace")
                    if not name or "/" in name or name.startswith("."):
                        raise ExportError(f"entry {key!r} cannot name a file")
                    with open(os.path.join(out, name + extension(value, key)), "wb") as f:
                        f.write(value)
                    written += 1
        finally:
            env.close()
    if written == 0:
        raise ExportError(f"{path}: the database holds no images")
    return written


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lmdb", required=True, help="the downloaded zip, or the LMDB folder")
    ap.add_argument("--out", required=True, help="the folder to write the images into")
    ap.add_argument("--limit", type=int, help="export only the first N images")
    a = ap.parse_args()
    if a.limit is not None and a.limit < 1:
        ap.error("--limit must be at least 1")
    if not os.path.exists(a.lmdb):
        raise ExportError(f"{a.lmdb}: no such file (deno task fetch-paper --only lsun-church)")
    n = export(a.lmdb, a.out, a.limit)
    print(f"wrote {n} images into {a.out}")


if __name__ == "__main__":
    try:
        import lmdb  # noqa: F401
    except ImportError:
        print("error: export_lsun.py needs python3-lmdb (apt-get install python3-lmdb)", file=sys.stderr)
        sys.exit(1)
    try:
        main()
    except ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
