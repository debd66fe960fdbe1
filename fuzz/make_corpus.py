#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ (small valid files, one per feature the
reader handles), independently of tapegrad's writers. Run from anywhere; standard library only."""
import gzip
import json
import pathlib
import struct
import zlib

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"


def write(target, name, data):
    path = CORPUS / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def npy(descr, shape, payload, version=1):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")  # (3,) is a tuple, (3) is not
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}"
    length_format = "<H" if version == 1 else "<I"
    used = 6 + 2 + struct.calcsize(length_format) + len(header) + 1
    header += " " * (-used % 64) + "\n"
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack(length_format, len(header)) + header.encode() + payload


def safetensors(tensors, metadata=None, crc=True):
    header, data = {}, b""
    for name, dtype, shape, payload in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    metadata = dict(metadata or {})
    if crc:
        metadata["tapegrad.crc32"] = f"{zlib.crc32(data):08x}"
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def idx(shape, payload):
    return bytes([0, 0, 0x08, len(shape)]) + b"".join(struct.pack(">I", d) for d in shape) + payload


def main():
    write("npy", "f4_2x3.npy", npy("<f4", (2, 3), struct.pack("<6f", 0, 1, -2.5, 3e38, float("inf"), 1e-45)))
    write("npy", "f8_scalar.npy", npy("<f8", (), struct.pack("<d", -0.0)))
    write("npy", "i8_3.npy", npy("<i8", (3,), struct.pack("<3q", -1, 0, 2**62)))
    write("npy", "b1_4.npy", npy("|b1", (4,), bytes([0, 1, 1, 0])))
    write("npy", "f4_empty_0x2.npy", npy("<f4", (0, 2), b""))
    write("npy", "f8_v2_1x1x2.npy", npy("<f8", (1, 1, 2), struct.pack("<2d", 0.5, -7), version=2))

    f32 = struct.pack("<4f", 1, -2, 0.25, 8)
    write("safetensors", "two_tensors.safetensors",
          safetensors([("w", "F32", [2, 2], f32), ("b", "F64", [1], struct.pack("<d", 3.5))], {"epoch": "3"}))
    write("safetensors", "i64_bool.safetensors",
          safetensors([("steps", "I64", [], struct.pack("<q", 7)), ("mask", "BOOL", [3], bytes([1, 0, 1]))]))
    write("safetensors", "empty_tensor_no_crc.safetensors", safetensors([("e", "F32", [0, 3], b"")], crc=False))
    write("safetensors", "no_tensors.safetensors", safetensors([], crc=False))

    labels = idx((5,), bytes([0, 9, 3, 3, 7]))
    images = idx((2, 3, 3), bytes(range(18)))
    write("idx", "labels_5.idx.gz", gzip.compress(labels, mtime=0))
    write("idx", "images_2x3x3.idx.gz", gzip.compress(images, mtime=0))
    write("idx", "plain_4d.idx", idx((1, 2, 1, 2), bytes([255, 0, 128, 1])))
    write("idx", "plain_labels_5.idx", labels)


if __name__ == "__main__":
    main()
