#!/usr/bin/python3
"""The table of bench/adapt-loghub.sh: for each system, the second half of its Loghub sample scored
by the shipped folder (before.md) and by the folder adapted on the first half (after.md), both
written by `blt eval-loghub`.

    /usr/bin/python3 bench/adapt_loghub_table.py model-export/build/adapt-loghub HDFS Linux ...
"""
import json
import sys
from pathlib import Path


def tables(markdown: str) -> list:
    """Every Markdown table as a list of {header: cell} rows."""
    out, header = [], None
    for line in markdown.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        if header is None:
            header, rows = cells, []
            out.append(rows)
        elif not set("".join(cells)) <= set("-: "):
            rows.append(dict(zip(header, cells)))
    return out


def row(markdown: str, system: str, column: str) -> dict:
    """The row of `system` in the first table that has `column`."""
    for rows in tables(markdown):
        for r in rows:
            if r.get("system") == system and column in r:
                return r
    raise SystemExit(f"no {column!r} for {system}")


def measures(path: Path, system: str) -> dict:
    text = path.read_text()
    compression = row(text, system, "bytes/patch")
    embeddings = row(text, system, "TF-IDF, masked lines")
    return {"entropy": float(compression["entropy model"]), "blt": float(compression["BLT"]),
            "bytes_per_patch": float(compression["bytes/patch"]), "calibration": float(compression["calibration"]),
            "xz": float(compression["xz -9e"]) if "xz -9e" in compression else float("nan"),
            "template": float(embeddings["BLT record embedding"]),
            "tfidf": float(embeddings["TF-IDF, masked lines"])}


def main():
    out, systems = Path(sys.argv[1]), sys.argv[2:]
    print((out / "machine.txt").read_text().strip())
    print()
    print("| system | entropy model bits/byte | change | BLT bits/byte | change | bytes/patch | calibration "
          "| template accuracy | TF-IDF masked | xz -9e | held back, after | adapted for |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    totals, measured = [], []
    for system in systems:
        d = out / system
        if not (d / "after.md").exists():
            print(f"| {system} | not run | | | | | | | | | | |")
            continue
        b, a = measures(d / "before.md", system), measures(d / "after.md", system)
        manifest = json.loads((d / "model" / "manifest.json").read_text())
        adaptation = manifest["adaptation"]
        steps = f'{adaptation["entropy_model"]["steps"]} + {adaptation["blt"]["steps"]} steps'
        if adaptation["entropy_model"].get("bf16_autocast"):
            steps += " (bf16)"
        held_back = adaptation["after"]["entropy_model_bits_per_byte"]
        totals.append((b, a))
        measured.append(system)
        print(f"| {system} | {b['entropy']:.2f} → {a['entropy']:.2f} | {100 * (a['entropy'] / b['entropy'] - 1):+.0f}% "
              f"| {b['blt']:.2f} → {a['blt']:.2f} | {100 * (a['blt'] / b['blt'] - 1):+.0f}% "
              f"| {b['bytes_per_patch']:.2f} → {a['bytes_per_patch']:.2f} | {b['calibration']:.2f} → {a['calibration']:.2f} "
              f"| {b['template']:.3f} → {a['template']:.3f} | {b['tfidf']:.3f} | {b['xz']:.2f} | {held_back:.2f} | {steps} |")
    if totals:
        def mean(side, key):
            return sum(t[side][key] for t in totals) / len(totals)
        met = sum(1 for b, a in totals if a["entropy"] <= 0.7 * b["entropy"])
        print(f"| **mean** | {mean(0, 'entropy'):.2f} → {mean(1, 'entropy'):.2f} "
              f"| {100 * (mean(1, 'entropy') / mean(0, 'entropy') - 1):+.0f}% "
              f"| {mean(0, 'blt'):.2f} → {mean(1, 'blt'):.2f} | {100 * (mean(1, 'blt') / mean(0, 'blt') - 1):+.0f}% "
              f"| {mean(0, 'bytes_per_patch'):.2f} → {mean(1, 'bytes_per_patch'):.2f} "
              f"| {mean(0, 'calibration'):.2f} → {mean(1, 'calibration'):.2f} "
              f"| {mean(0, 'template'):.3f} → {mean(1, 'template'):.3f} | {mean(0, 'tfidf'):.3f} | {mean(0, 'xz'):.2f} | | |")
        print()
        print(f"Entropy model bits/byte down by at least 30% (issue 11's target): {met} of {len(totals)} systems.")
        n = len(totals)
        below_xz = [s for s, (b, a) in zip(measured, totals) if a["entropy"] < b["xz"]]
        calibrated = sum(1 for b, a in totals if 0.8 <= a["calibration"] <= 1.25)
        templates_kept = sum(1 for b, a in totals if a["template"] >= b["template"])
        print(f"Issue 30's targets: mean entropy model bits/byte after {mean(1, 'entropy'):.2f} (target 0.8 or less); "
              f"below xz -9e on {len(below_xz)} of {n} ({', '.join(below_xz) or 'none'}; target 5); "
              f"calibration within 0.8..1.25 on {calibrated} of {n}; "
              f"template accuracy at least the shipped model's on {templates_kept} of {n} "
              f"(mean {mean(0, 'template'):.3f} → {mean(1, 'template'):.3f}).")


if __name__ == "__main__":
    main()
