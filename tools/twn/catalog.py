"""Write demo/models/models.json and docs/MODELS.md from the shipped .twn files (their own metadata and tensors).

    python -m tools.twn.catalog            # after exporting into demo/models/

Everything in the tables is read back from the files (accuracy, recipe, sparsity, α), so the documentation cannot
drift from what is shipped. Order in models.json: the demo shows the first entry of each architecture, so the TWN
model of each architecture comes first.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .twn_reader import read_twn

REPO_ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = REPO_ROOT / "demo" / "models"
DOC_PATH = REPO_ROOT / "docs" / "MODELS.md"

# Li et al. 2016, Table 2 (top-1 accuracy, %): TWN / BWN / full precision.
PAPER_TOP1 = {("lenet5", "ternary"): 99.35, ("lenet5", "binary"): 99.05, ("lenet5", "float"): 99.41,
              ("vgg7", "ternary"): 92.56, ("vgg7", "binary"): 90.18, ("vgg7", "float"): 92.88}
MODE_LABELS = {"ternary": "TWN", "binary": "BWN", "float": "FP (full precision)"}
MODE_ORDER = {"ternary": 0, "binary": 1, "float": 2}


def layer_table(twn) -> list[dict]:
    rows = []
    for node in twn.header["nodes"]:
        weight_name = node.get("params", {}).get("weight")
        if weight_name is None:
            continue
        values = twn.tensors[weight_name]
        row = {"layer": node["name"], "op": node["op"], "shape": list(values.shape), "dtype": twn.dtypes[weight_name],
               "bytes": twn.header["tensors"][weight_name]["length"]}
        if row["dtype"] == "ternary2":
            alpha = twn.tensors[node["params"]["alpha"]]
            row.update(zeroFraction=round(float(np.mean(values == 0)), 4),
                       plusFraction=round(float(np.mean(values == 1)), 4),
                       alphaMean=float(alpha.mean()), alphaMin=float(alpha.min()), alphaMax=float(alpha.max()),
                       alphaCount=int(alpha.size))
        rows.append(row)
    return rows


def int16_summary(int16: dict | None) -> dict | None:
    """What the demo and the tables show of metadata.int16 (FORMAT.md §7.1): bits, ranges, simulated accuracy."""
    if int16 is None:
        return None
    return {"bits": int16["bits"], "inputRanges": int16["inputRanges"], "accuracy": int16.get("accuracy", {}),
            "calibration": int16.get("calibration", {})}


def model_entry(path: Path) -> dict:
    twn = read_twn(path)
    meta = twn.metadata
    onnx = path.with_suffix(".onnx")
    reference = path.parent / f"{path.stem}-reference.json"
    accuracy = meta.get("accuracy", {})
    recipe = meta.get("recipe", {})
    paper = PAPER_TOP1.get((meta.get("architecture"), meta.get("weightMode")))
    width = meta.get("width", 1.0)
    status_bits = [f"{recipe.get('epochs')} epochs"]
    if width != 1.0:
        status_bits.insert(0, f"reduced width ×{width}")
    return {
        "file": path.name,
        "onnx": onnx.name if onnx.exists() else None,
        "reference": reference.name if reference.exists() else None,
        "architecture": meta.get("architecture"),
        "dataset": meta.get("dataset"),
        "trained": bool(meta.get("trained")),
        "weightMode": meta.get("weightMode"),
        "granularity": meta.get("granularity"),
        "width": width,
        "top1": accuracy.get("top1"),
        "accuracy": accuracy,
        "paperTop1": None if paper is None else round(paper / 100, 4),
        "status": ", ".join(status_bits),
        "note": accuracy.get("note", ""),
        "twnBytes": path.stat().st_size,
        "onnxBytes": onnx.stat().st_size if onnx.exists() else None,
        "inputShape": twn.header["input"]["shape"],
        "int16": int16_summary(meta.get("int16")),
        "recipe": recipe,
        "layers": layer_table(twn),
    }


def percent(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}"


def kib(size: int | None) -> str:
    return "–" if size is None else f"{size / 1024:,.1f} KiB"


NOTES = """
## Notes

* Hardware: one cloud VM, AMD EPYC, **2 vCPUs shared with other jobs** (TypeScript builds and tests ran at the same
  time), no GPU. Training used bf16 autocast and channels-last (one torch thread for LeNet-5, two for VGG-7 ×0.5);
  evaluation is fp32. Wall times include that contention (a LeNet-5 epoch took 30 s on the quiet machine, up to
  100 s under load; a VGG-7 ×0.5 epoch 170 s, up to 570 s).
* Recipe as in the paper: SGD momentum 0.9, weight decay 1e-4, lr 0.01 (MNIST) / 0.1 (CIFAR-10), BatchNorm + ReLU
  after every conv and hidden FC layer, all layers quantized (first and last included), Δ = 0.7·mean|W| and α per
  layer (the paper's Caffe code). CIFAR-10: random crop (pad 4) + horizontal flip. Inputs are [0, 1] pixels
  normalised with the dataset mean/std (in the file's `input` spec). Schedules: LeNet-5 `step` (×0.1 at 60 % and
  85 % of the epochs); VGG-7 ×0.5 `cosine` over 42 epochs, sized to fit one 3-hour CPU session instead of the
  paper's ~160-epoch step schedule.
* The VGG-7 here is **half width** (conv 64-64-128-128-256-256, FC 512; a quarter of the paper's multiply-adds)
  trained for 42 epochs on the CPU, so its number is below, and not a reproduction of, the paper's full-width
  92.56 %. Full width costs 8.6 min per epoch here (1.32 s per 128-image step, 2 threads, bf16), about 23 h for
  the paper's schedule: that run needs a GPU (recipe in tools/README.md). Earlier, smaller runs of the same trainer:
  width ×0.25, 15 epochs, step schedule: 83.73 % (10 epochs: 82.77 %).
* No ResNet-18 is trained: there is no ImageNet here, and the CIFAR variant would need the CPU time the VGG-7 run
  used. The builders, trainer and exporter support both topologies.
* LeNet-5 has 581k weights, 524k of them in the 1024→512 FC layer: at 2 bits each that is ~145 KiB, hence the
  ~151 KiB `.twn` (vs 2.3 MB fp32).
* BWN files use the `ternary2` dtype with codes ±1 only (no zeros): the format is a superset of binary.
"""


INT16_MEASURED = """
The runtime's own figures: every shipped file through `loadModel` on the CPU backend at `precision: 'float32'` and
`'int16'`, whole test split (correct images in brackets), beside the figures the files state. `npm run accuracy`
(`bench/accuracy.ts`) measures all of them; these rows come from `npm run accuracy -- --models
lenet5-twn.twn,lenet5-bwn.twn,lenet5-fp.twn` and, for VGG-7, `-- --models vgg7-twn-w05.twn` (float32, before the
file had its key) and `-- --models vgg7-twn-w05.twn --precisions int16` (2026-12-01; accuracy does not depend on the
machine's load, 4.5–11 then):

| model | test split | images | float32 (ours) | file: float64 | int16 (ours) | file: int16 |
| --- | --- | ---: | ---: | ---: | ---: | ---: |
| lenet5-twn.twn | MNIST | 10000 | 99.38 (9938) | 99.38 | 99.39 (9939) | 99.39 (8 bits) |
| lenet5-bwn.twn | MNIST | 10000 | 99.29 (9929) | 99.29 | 99.28 (9928) | 99.28 (8 bits) |
| lenet5-fp.twn | MNIST | 10000 | 99.37 (9937) | 99.37 | float32 ran: the model has no ternary or binary layers | – |
| vgg7-twn-w05.twn | CIFAR-10 | 10000 | 88.23 (8823) | 88.23 | 88.17 (8817) | 88.16 (8 bits) |

The runtime's int16 count may differ from the file's by an image or two (VGG-7: 8817 against 8816): the kernels form
x·s from float32 activations, the simulation from float64 ones, so a code can differ where x·s lies within float32
rounding of a half-integer. `test/trained/mnist-int16.test.ts` holds the LeNet-5 files to ± 2 images of theirs.
"""


def paper_shaped_table(entries: list[dict]) -> list[str]:
    """Method × dataset, ours beside the paper's, like the paper's Table 2 (TWN / BWN / FP rows)."""
    columns = [("lenet5", "MNIST (LeNet-5)"), ("vgg7", "CIFAR-10 (VGG-7)")]
    lines = ["| method | " + " | ".join(f"{title}: ours | paper" for _, title in columns) + " |",
             "| --- |" + " ---: | ---: |" * len(columns)]
    for mode in ("ternary", "binary", "float"):
        cells = []
        for architecture, _ in columns:
            ours = next((e for e in entries if e["architecture"] == architecture and e["weightMode"] == mode), None)
            paper = PAPER_TOP1[(architecture, mode)]
            if ours is None:
                text = "not trained"
            else:
                text = percent(ours["top1"])
                if ours["width"] != 1.0:
                    text += f" (width ×{ours['width']}, {ours['recipe'].get('epochs')} epochs)"
                if architecture == "vgg7":
                    text += ", JPEG copy"
            cells += [text, f"{paper:.2f}"]
        lines.append(f"| {MODE_LABELS[mode]} | " + " | ".join(cells) + " |")
    return lines


def render_markdown(entries: list[dict]) -> str:
    lines = [
        "# Trained models",
        "",
        "Generated by `python -m tools.twn.catalog` from the files in `demo/models/` (every number below is read",
        "back from the `.twn` files' own metadata and tensors). Trainer: `tools/twn/train.py`; exporter:",
        "`tools/twn/export.py` (format: [FORMAT.md](FORMAT.md)).",
        "",
        "## Accuracy: ours beside the paper's (Li et al. 2016, Table 2)",
        "",
        "Top-1 test accuracy, %. Ours is measured by running the shipped `.twn` file (float64 reference executor,",
        "`tools/twn/twn_reader.py`) on the test split (`images` = how many), after the **last** training epoch",
        "(not the best one).",
        "",
        *paper_shaped_table(entries),
        "",
        "Every shipped file:",
        "",
        "| model | method | ours | paper | images | epochs | file |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for entry in entries:
        dataset = entry["dataset"]
        arch = entry["architecture"] + (f" (width ×{entry['width']})" if entry["width"] != 1.0 else "")
        paper = "–" if entry["paperTop1"] is None else f"{100 * entry['paperTop1']:.2f}"
        lines.append(f"| {arch} · {dataset} | {MODE_LABELS[entry['weightMode']]} | {percent(entry['top1'])} | "
                     f"{paper} | {entry['accuracy'].get('images', '–')} | {entry['recipe'].get('epochs')} | "
                     f"`{entry['file']}` |")
    lines += [
        "",
        "Any CIFAR-10 number here is on the JPEG-q75 copy of CIFAR-10 in `../shared/data/cifar10` (labels and",
        "images are the original ones, pixels carry JPEG loss; see its README), so it is not directly comparable",
        "with the paper's.",
        "",
        "## File sizes",
        "",
        "| file | `.twn` | fp32 ONNX | ratio | weights |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for entry in entries:
        ratio = "–" if not entry["onnxBytes"] else f"{entry['onnxBytes'] / entry['twnBytes']:.1f}×"
        kinds = sorted({row["dtype"] for row in entry["layers"]})
        lines.append(f"| `{entry['file']}` | {kib(entry['twnBytes'])} | {kib(entry['onnxBytes'])} | {ratio} | "
                     f"{', '.join(kinds)} |")
    lines += [
        "",
        "The ONNX twin (`.onnx`, opset 17, dynamic batch) holds the same network in fp32: α·codes as float weights,",
        "BatchNorm unfolded, the input normalisation included (input `image` = [0, 1] pixels, output `logits`).",
        "`<name>-reference.json` holds the first test images (16 for LeNet-5, 8 for VGG-7; [0, 1] pixels) with the",
        "logits of the `.twn` graph in float64 and how far ONNX Runtime and the PyTorch eval model are from them (`onnxMaxAbsDiff`,",
        "`pytorchEvalMaxAbsDiff`).",
        "",
        "## Per-layer sparsity and α",
        "",
        "Zeros = fraction of zero codes (TWN only; BWN codes are ±1, so 0). α: the scaling factor (one per layer, or",
        "min/mean/max over output channels for per-channel files).",
    ]
    for entry in entries:
        if entry["weightMode"] == "float":
            continue
        lines += ["", f"**`{entry['file']}`** ({entry['granularity']})", "",
                  "| layer | op | shape | zeros | +1 | α (mean) | α min…max | bytes |",
                  "| --- | --- | --- | ---: | ---: | ---: | --- | ---: |"]
        for row in entry["layers"]:
            if row["dtype"] != "ternary2":
                lines.append(f"| {row['layer']} | {row['op']} | {row['shape']} | f32 | | | | {row['bytes']:,} |")
                continue
            lines.append(f"| {row['layer']} | {row['op']} | {row['shape']} | {row['zeroFraction']:.3f} | "
                         f"{row['plusFraction']:.3f} | {row['alphaMean']:.5f} | "
                         f"{row['alphaMin']:.5f}…{row['alphaMax']:.5f} | {row['bytes']:,} |")
    lines += [
        "",
        "## int16 activations",
        "",
        "Each ternary/binary file carries `metadata.int16` ([FORMAT.md](FORMAT.md) §7.1), written by",
        "`python -m tools.twn.calibrate <file> --write` (`tools/twn/calibrate.py`; `export.py` runs it for new",
        "exports): the range r = max|x| of every ternary layer's input over the first 2,000 training images, and the",
        "fewest bits of 8, 10, 12 whose exact simulation of the integer arithmetic on the whole test split stays",
        "within 0.1 points of the float64 figure. The runtime offers `precision: 'int16'` only under that condition.",
        "",
        "| file | bits | float64 top-1 | int16 top-1 (simulated) | difference, points | calibration images |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for entry in entries:
        int16 = entry["int16"]
        if int16 is None:
            why = "no ternary layers" if entry["weightMode"] == "float" else "not calibrated"
            lines.append(f"| `{entry['file']}` | – | {percent(entry['top1'])} | {why} | | |")
            continue
        top1 = int16["accuracy"].get("top1")
        difference = "–" if top1 is None else f"{100 * (top1 - entry['top1']):+.2f}"
        lines.append(f"| `{entry['file']}` | {int16['bits']} | {percent(entry['top1'])} | {percent(top1)} | "
                     f"{difference} | {int16['calibration'].get('images', '–')} |")
    lines += ["", INT16_MEASURED.strip(), "", "Ranges per layer:", "",
              "| file | range r of each ternary layer's input |", "| --- | --- |"]
    for entry in entries:
        if entry["int16"] is not None:
            ranges = ", ".join(f"{name} {r:.3f}" for name, r in entry["int16"]["inputRanges"].items())
            lines.append(f"| `{entry['file']}` | {ranges} |")
    lines += ["", "## How each number was made", ""]
    for entry in entries:
        recipe = entry["recipe"]
        minutes = recipe.get("trainSeconds", 0) / 60
        summary = (f"**`{entry['file']}`**: {recipe.get('epochs')} epochs, SGD lr {recipe.get('lr')} momentum "
                   f"{recipe.get('momentum')} weight decay {recipe.get('weightDecay')}, "
                   f"batch {recipe.get('batchSize')}, schedule `{recipe.get('schedule')}`, "
                   f"bf16 autocast {recipe.get('bf16')}; training wall time {minutes:.1f} min on "
                   f"{recipe.get('hardware')}.")
        lines += [summary, "", "```", recipe.get("command", ""), recipe.get("exportCommand", ""), "```", ""]
    return "\n".join(lines) + NOTES


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    parser.add_argument("--doc", type=Path, default=DOC_PATH)
    parser.add_argument("--extra-markdown", type=Path, default=None, help="appended to the generated page")
    args = parser.parse_args(argv)
    entries = [model_entry(path) for path in sorted(args.models_dir.glob("*.twn"))]
    entries = [entry for entry in entries if entry["trained"]]  # never list untrained weights as a model
    entries.sort(key=lambda e: (e["architecture"] != "lenet5", e["architecture"], MODE_ORDER[e["weightMode"]]))
    manifest = {"generatedBy": "python -m tools.twn.catalog", "models": entries}
    (args.models_dir / "models.json").write_text(json.dumps(manifest, indent=1) + "\n")
    markdown = render_markdown(entries)
    if args.extra_markdown is not None:
        markdown += "\n" + args.extra_markdown.read_text()
    args.doc.write_text(markdown.rstrip() + "\n")
    print(f"wrote {args.models_dir / 'models.json'} and {args.doc} ({len(entries)} models)")


if __name__ == "__main__":
    main()
