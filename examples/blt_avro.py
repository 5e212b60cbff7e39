"""Avro single-object encoding as the job writes it (C3 01, the schema's 8-byte CRC-64-AVRO
fingerprint, little-endian, then the Avro binary body), with Debian's python3-avro only.

The schemas are read from schemas/src/main/avro/ of this repository; point BLT_SCHEMAS elsewhere
if you copied them.
"""
import io
import os
from pathlib import Path

import avro.io
import avro.schema

SCHEMAS = Path(os.environ.get("BLT_SCHEMAS", Path(__file__).resolve().parent.parent / "schemas/src/main/avro"))
MAGIC = b"\xc3\x01"
_EMPTY = 0xC15D213AA4D7A795
_TABLE = []
for _i in range(256):
    _fp = _i
    for _ in range(8):
        _fp = (_fp >> 1) ^ (_EMPTY & -(_fp & 1))
    _TABLE.append(_fp)


def fingerprint(schema) -> bytes:
    """CRC-64-AVRO of the schema's Parsing Canonical Form, as 8 little-endian bytes."""
    fp = _EMPTY
    for b in schema.canonical_form.encode("utf-8"):
        fp = (fp >> 8) ^ _TABLE[(fp ^ b) & 0xFF]
    return fp.to_bytes(8, "little")


def load_schemas():
    """{name: schema} for every .avsc of the job, e.g. schemas()["Patch"]."""
    out = {}
    for path in sorted(SCHEMAS.glob("*.avsc")):
        schema = avro.schema.parse(path.read_text())
        out[schema.name] = schema
    return out


class SingleObjectCodec:
    def __init__(self, schemas=None):
        self.schemas = schemas or load_schemas()
        self.by_fingerprint = {fingerprint(s): s for s in self.schemas.values()}

    def decode(self, value: bytes):
        """(schema name, record as a dict); raises ValueError for anything else."""
        if not value or value[:2] != MAGIC or len(value) < 10:
            raise ValueError("not Avro single-object encoding (no C3 01 header)")
        schema = self.by_fingerprint.get(value[2:10])
        if schema is None:
            raise ValueError(f"unknown schema fingerprint {value[2:10].hex()}")
        reader = avro.io.DatumReader(schema)
        return schema.name, reader.read(avro.io.BinaryDecoder(io.BytesIO(value[10:])))

    def encode(self, name: str, record: dict) -> bytes:
        schema = self.schemas[name]
        out = io.BytesIO()
        avro.io.DatumWriter(schema).write(record, avro.io.BinaryEncoder(out))
        return MAGIC + fingerprint(schema) + out.getvalue()
