#!/usr/bin/env python3
"""An independent reader of the safetensors format, written from its specification with
the validation rules of the reference implementation:

  8 bytes   N, little-endian u64, the header size (at most 100,000,000)
  N bytes   a UTF-8 JSON object starting with '{' (trailing spaces allowed):
            name -> {"dtype": ..., "shape": [...], "data_offsets": [begin, end]},
            plus an optional "__metadata__" object of string -> string
  the rest  the byte buffer; offsets are relative to its start, the tensors tile it
            exactly (sorted by offset, no gap, no overlap, end of the last = its size),
            and end - begin = product(shape) * size of dtype.

Prints one line per tensor in file order, "name dtype shape sum" (shape as 2x3, sum in
float64, %.17g), then "meta key value" lines; exits 1 with a message on any violation.
"""
import json
import math
import struct
import sys

SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2, "I32": 4, "U32": 4,
         "F32": 4, "I64": 8, "U64": 8, "F64": 8}
FORMATS = {"BOOL": "?", "U8": "B", "I8": "b", "I16": "h", "U16": "H", "I32": "i", "U32": "I",
           "F32": "f", "I64": "q", "U64": "Q", "F64": "d"}


def fail(message):
    print(f"read_safetensors: {message}", file=sys.stderr)
    sys.exit(1)


def main(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        fail("file shorter than the 8-byte header size")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > 100_000_000 or 8 + n > len(blob):
        fail(f"header size {n} out of range")
    text = blob[8:8 + n].decode("utf-8")
    if not text.startswith("{"):
        fail("header does not start with '{'")
    header = json.loads(text.rstrip(" "), object_pairs_hook=lambda pairs: pairs)
    data = blob[8 + n:]
    tensors, metadata = [], []
    for name, entry in header:
        entry = dict(entry)
        if name == "__metadata__":
            for key, value in entry.items():
                if not isinstance(value, str):
                    fail(f"metadata {key} is not a string")
                metadata.append((key, value))
            continue
        if set(entry) != {"dtype", "shape", "data_offsets"}:
            fail(f"{name}: keys {sorted(entry)}")
        dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in SIZES or any((not isinstance(d, int)) or d < 0 for d in shape):
            fail(f"{name}: bad dtype {dtype} or shape {shape}")
        if end - begin != math.prod(shape) * SIZES[dtype]:
            fail(f"{name}: offsets {begin}..{end} do not hold {shape} {dtype}")
        tensors.append((name, dtype, shape, begin, end))
    position = 0
    for name, _, _, begin, end in sorted(tensors, key=lambda t: t[3]):
        if begin != position:
            fail(f"{name}: starts at {begin}, expected {position} (gap or overlap)")
        position = end
    if position != len(data):
        fail(f"tensors cover {position} bytes of a {len(data)}-byte buffer")
    for name, dtype, shape, begin, end in tensors:
        count = math.prod(shape)
        values = struct.unpack(f"<{count}{FORMATS[dtype]}", data[begin:end])
        total = math.fsum(float(v) for v in values)
        print(f"{name} {dtype} {'x'.join(map(str, shape)) or 'scalar'} {total:.17g}")
    for key, value in metadata:
        print(f"meta {key} {value}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        fail("usage: read_safetensors.py FILE")
    main(sys.argv[1])
