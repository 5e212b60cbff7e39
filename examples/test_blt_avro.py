"""The examples' Avro framing against the job's: fingerprints as Java's SchemaNormalization gives
them, and a ByteChunk round trip. Run by run-tests.sh (needs python3-avro)."""
from blt_avro import MAGIC, NeedsSchemaRegistry, SingleObjectCodec, fingerprint, load_schemas

# parsingFingerprint64 of each schema as the job computes it, little-endian as written on the wire.
# A change here means producers and consumers built on the old schema no longer match: say so in
# the release notes.
JAVA_FINGERPRINTS = {"ByteChunk": "f7d9fcc1f9a08e98", "Patch": "4b230e51b21fc425"}


def test_fingerprints_are_the_jobs():
    schemas = load_schemas()
    for name, want in JAVA_FINGERPRINTS.items():
        assert fingerprint(schemas[name]).hex() == want, name


def test_byte_chunk_round_trip():
    codec = SingleObjectCodec()
    record = {"stream_id": "web-01", "sequence": 7, "payload": b"GET / 200\n", "event_time_ms": None,
              "producer_session": "s1"}
    value = codec.encode("ByteChunk", record)
    assert value[:2] == MAGIC and len(value) > 10
    assert codec.decode(value) == ("ByteChunk", record)


def test_anything_else_is_refused():
    codec = SingleObjectCodec()
    for bad in (b"", b"plain text", MAGIC + b"\x00" * 8 + b"x"):
        try:
            codec.decode(bad)
            raise AssertionError(f"decoded {bad!r}")
        except ValueError:
            pass


def test_a_registry_framed_value_says_which_flag_reads_it():
    # What the job writes with --schema-registry-url: magic byte 0, a 4-byte schema id, the datum.
    try:
        SingleObjectCodec().decode(b"\x00\x00\x00\x00\x07" + b"\x02ab")
    except NeedsSchemaRegistry as e:
        assert "schema id 7" in str(e) and "--schema-registry-url" in str(e)
    else:
        raise AssertionError("a registry-framed value decoded without a registry")
