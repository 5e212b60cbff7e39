"""The real-software log corpus (corpus_real/) matches its MANIFEST.json: every listed file is there
(plain or xz-compressed), with the recorded size and line count. Skips when the corpus is absent."""

import json
import lzma
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent.parent / "corpus_real"
MANIFEST = CORPUS / "MANIFEST.json"

pytestmark = pytest.mark.skipif(not MANIFEST.exists(), reason="corpus_real/ absent (run collect_logs.py)")


def _read(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes()
    return lzma.decompress((path.parent / (path.name + ".xz")).read_bytes())


def _manifest():
    return json.loads(MANIFEST.read_text())


def test_manifest_has_sources_and_seed():
    m = _manifest()
    assert isinstance(m["seed"], int)
    assert m["sources"], "no source collected"
    for name, src in m["sources"].items():
        assert src["files"], name
        assert src["formats"], name
        assert (CORPUS / name).is_dir(), name


def test_files_match_manifest():
    for name, src in _manifest()["sources"].items():
        for fname, meta in src["files"].items():
            data = _read(CORPUS / name / fname)
            assert len(data) == meta["bytes"], f"{name}/{fname}"
            assert data.count(b"\n") == meta["lines"], f"{name}/{fname}"
            assert meta["lines"] > 0, f"{name}/{fname} is empty"


def test_no_unlisted_files():
    m = _manifest()
    for d in CORPUS.iterdir():
        if d.is_dir():
            assert d.name in m["sources"], f"{d.name}/ not in MANIFEST.json"
            listed = set(m["sources"][d.name]["files"])
            for f in d.iterdir():
                assert f.name.removesuffix(".xz") in listed, f"{d.name}/{f.name} not in MANIFEST.json"


def test_real_logs_load_with_unseen_sources_kept_out_of_training():
    from blt_models import corpus
    if not any(corpus.REAL_LOGS_DIR.glob("*/*.log.xz")):
        pytest.skip("model-export/corpus_real is absent; run collect_logs.py")
    files = corpus.load_real()
    unseen = [f for f in files if f.domain == "real_logs_unseen"]
    seen = [f for f in files if f.domain == "real_logs"]
    assert unseen and seen
    assert {f.name.split("/")[0] for f in unseen} <= set(corpus.HELD_OUT_SOURCES)
    assert all(f.train == b"" and f.validation for f in unseen), "held-out formats are never trained on"
    validation = sum(len(f.validation) for f in seen)
    total = validation + sum(len(f.train) for f in seen)
    assert 0.05 < validation / total < 0.15, "about every tenth ~4 KB chunk of the seen sources is validation"
    assert not {f.name.split("/")[0] for f in seen} & set(corpus.HELD_OUT_SOURCES)
