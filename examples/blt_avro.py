"""Avro as the job writes it, with Debian's python3-avro only: single-object encoding (C3 01, the
schema's 8-byte CRC-64-AVRO fingerprint, little-endian, then the Avro binary body), and with
--schema-registry-url the Schema Registry wire format (0x00, the 4-byte big-endian schema id, the
body), whose schemas come from the registry.

The schemas are read from schemas/src/main/avro/ of this repository; point BLT_SCHEMAS elsewhere
if you copied them.
"""
import io
import json
import os
import urllib.request
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


class NeedsSchemaRegistry(ValueError):
    """A value in the Schema Registry wire format, read without a registry."""


class SingleObjectCodec:
    def __init__(self, schemas=None):
        self.schemas = schemas or load_schemas()
        self.by_fingerprint = {fingerprint(s): s for s in self.schemas.values()}

    def decode(self, value: bytes):
        """(schema name, record as a dict); raises ValueError for anything else."""
        if value and value[:1] == b"\x00" and len(value) >= 5:
            schema_id = int.from_bytes(value[1:5], "big")
            raise NeedsSchemaRegistry(f"the value is in the Schema Registry wire format (schema id {schema_id}): "
                                      "pass --schema-registry-url, the registry the job was run with")
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


class RegistryCodec:
    """Values in the Schema Registry wire format, read with the schema the registry has under their id
    (any Confluent-compatible registry, e.g. Apicurio's .../apis/ccompat/v7); single-object values too."""

    def __init__(self, url: str, single_object: SingleObjectCodec = None):
        self.url = url.rstrip("/")
        self.single_object = single_object or SingleObjectCodec()
        self.by_id = {}

    def schema(self, schema_id: int):
        if schema_id not in self.by_id:
            with urllib.request.urlopen(f"{self.url}/schemas/ids/{schema_id}", timeout=30) as reply:
                self.by_id[schema_id] = avro.schema.parse(json.load(reply)["schema"])
        return self.by_id[schema_id]

    def decode(self, value: bytes):
        """(schema name, record as a dict)."""
        if not value or value[0] != 0:
            return self.single_object.decode(value)
        if len(value) < 5:
            raise ValueError("Schema Registry wire format needs 5 header bytes")
        schema = self.schema(int.from_bytes(value[1:5], "big"))
        return schema.name, avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(io.BytesIO(value[5:])))
