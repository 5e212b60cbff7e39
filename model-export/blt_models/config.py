"""Every constant of the models in one place.

The values written here end up in `manifest.json`, which is the single source of truth for the Java
side. Nothing in Java hard-codes a token id, a window or a threshold.
"""
from dataclasses import asdict, dataclass, field
from typing import Optional, Tuple

# Token ids, as in BLT: four special tokens, then byte b is token b + 4.
BOE_ID = 0  # "beginning of example": also the padding token
BOS_ID = 1
EOS_ID = 2
BPE_DELIM_ID = 3
BYTE_OFFSET = 4
VOCAB_SIZE = 256 + BYTE_OFFSET


@dataclass
class EntropyModelConfig:
    """A small causal byte transformer: RMSNorm, rotary positions, SwiGLU."""
    d_model: int = 128
    n_layers: int = 2
    n_heads: int = 4
    ffn_multiplier: float = 8 / 3  # SwiGLU hidden = multiplier * d_model, rounded up to 16
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    # Sliding-window attention: every layer sees at most this many positions (itself included), so
    # the output at byte t depends on bytes t - n_layers * (attention_window - 1) .. t only; 0 = all.
    attention_window: int = 0
    # Integer-periodic RoPE (model.periodic_rotary): positions count modulo this power of two, and
    # every angle is computed from integers, so a stream scores the same at any offset; 0 = usual RoPE.
    rope_period: int = 0


@dataclass
class BltConfig:
    """Local encoder -> latent transformer over patches -> local decoder."""
    d_local: int = 128
    d_latent: int = 192
    encoder_layers: int = 1
    latent_layers: int = 2
    decoder_layers: int = 2
    n_heads_local: int = 4
    n_heads_latent: int = 4
    ffn_multiplier: float = 8 / 3
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    # Hashed n-gram embeddings (see hashing.py for the exact function).
    ngram_sizes: Tuple[int, ...] = (3, 4, 5, 6)
    ngram_table_size: int = 4096
    # Hidden width of the embedding head (model.EmbeddingHead); 0: no head, a patch's embedding is
    # its latent state. The head only shapes the embeddings; next-byte prediction never uses it.
    embedding_head: int = 0
    # The longest patch the exported graph pools exactly (model.patch_max: log2 of it doubling
    # steps). The Java runner refuses longer ones; it leaves room for greedy continuation, which
    # extends a patch of up to max_patch_length bytes by the bytes it writes.
    max_pooled_patch_bytes: int = 128
    # Sliding windows (issue 29): the local encoder's and decoder's self-attention sees at most
    # byte_window bytes (itself included), the latent transformer's at most patch_window patches;
    # with integer-periodic RoPE (rope_period, as in EntropyModelConfig) the BLT then runs from
    # rolling caches, one step per new patch (model.BltRollingExport). 0 = all, the usual RoPE.
    byte_window: int = 0
    patch_window: int = 0
    rope_period: int = 0


@dataclass
class StreamingConfig:
    """Windows of the aligned-block scheme (docs/DESIGN.md, "Streaming invariant").

    Every entropy of byte t in block k = t // entropy_block_bytes is computed by one causal pass over
    the entropy_context_bytes bytes before the block start, then the block's bytes before t. The BLT
    stage does the same with patches.
    """
    entropy_context_bytes: int = 64
    entropy_block_bytes: int = 64
    blt_context_patches: int = 16
    blt_block_patches: int = 16
    # Record segmentation with record context: each record is followed, in the context of the next
    # one only, by this byte (never part of a patch). A newline, as when the lines were one file.
    record_separator: int = 10


@dataclass
class PatchingConfig:
    theta: float = 1.3354  # replaced by calibration before export
    theta_monotonic: Optional[float] = None  # optional rule H_t - H_{t-1} > theta_monotonic
    max_patch_length: int = 32
    target_avg_patch_size: float = 4.5


@dataclass
class TrainConfig:
    seed: int = 1337
    batch_size: int = 32
    learning_rate: float = 3e-3
    weight_decay: float = 0.05
    warmup_steps: int = 100
    max_steps: int = 3000
    max_minutes: float = 10.0  # wall-clock cap per model; the learning-rate schedule follows it too
    eval_every: int = 250
    bos_window_fraction: float = 0.5  # windows that start a line with BOS, as record mode does
    eval_bytes_per_domain: int = 24_000
    blt_train_bytes_per_source: int = 400_000  # BLT: bytes of each source patched for training


@dataclass
class ModelSetConfig:
    name: str
    entropy: EntropyModelConfig = field(default_factory=EntropyModelConfig)
    blt: BltConfig = field(default_factory=BltConfig)
    streaming: StreamingConfig = field(default_factory=StreamingConfig)
    patching: PatchingConfig = field(default_factory=PatchingConfig)
    entropy_train: TrainConfig = field(default_factory=TrainConfig)
    blt_train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self):
        return asdict(self)

    @staticmethod
    def from_dict(d: dict) -> "ModelSetConfig":
        """The inverse of to_dict (a manifest's training.configs)."""
        blt = dict(d["blt"], ngram_sizes=tuple(d["blt"]["ngram_sizes"]))
        return ModelSetConfig(name=d["name"], entropy=EntropyModelConfig(**d["entropy"]), blt=BltConfig(**blt),
                              streaming=StreamingConfig(**d["streaming"]), patching=PatchingConfig(**d["patching"]),
                              entropy_train=TrainConfig(**d["entropy_train"]), blt_train=TrainConfig(**d["blt_train"]))


def tiny() -> ModelSetConfig:
    """For tests: trains in seconds, meaningless outputs."""
    quick = TrainConfig(batch_size=8, max_steps=30, max_minutes=1.0, eval_every=15, warmup_steps=5,
                        eval_bytes_per_domain=2_000, blt_train_bytes_per_source=8_000)
    return ModelSetConfig(
        name="blt-tiny",
        entropy=EntropyModelConfig(d_model=32, n_layers=1, n_heads=2),
        blt=BltConfig(d_local=32, d_latent=48, encoder_layers=1, latent_layers=1, decoder_layers=1,
                      n_heads_local=2, n_heads_latent=2, ngram_sizes=(3, 4), ngram_table_size=256),
        streaming=StreamingConfig(entropy_context_bytes=16, entropy_block_bytes=16,
                                  blt_context_patches=4, blt_block_patches=4),
        patching=PatchingConfig(max_patch_length=16),
        entropy_train=quick,
        blt_train=quick,
    )


# Sizes trained for the trade-off table in the model-export README; `default` picks one of them.
ENTROPY_CANDIDATES = {
    "e64x2": EntropyModelConfig(d_model=64, n_layers=2, n_heads=2),
    "e128x2": EntropyModelConfig(d_model=128, n_layers=2, n_heads=4),
    "e192x3": EntropyModelConfig(d_model=192, n_layers=3, n_heads=4),
}
DEFAULT_ENTROPY_CANDIDATE = "e128x2"
# Sliding-window candidates (issue 29): window W per layer, receptive field n_layers * W bytes.
WINDOWED_ENTROPY_CANDIDATES = {
    "e128x2w128": EntropyModelConfig(d_model=128, n_layers=2, n_heads=4, attention_window=128),
    "e128x2w256": EntropyModelConfig(d_model=128, n_layers=2, n_heads=4, attention_window=256),
    "e128x3w128": EntropyModelConfig(d_model=128, n_layers=3, n_heads=4, attention_window=128),
}


def default() -> ModelSetConfig:
    # The sliding-window entropy model the rolling cache runs (issue 29): W = 256 per layer, so each
    # byte sees the 510 bytes before it (the lines before, in a log: logs repeat a template a few
    # lines back), and integer-periodic RoPE, whose angles are exact at any stream offset. Python's
    # calibration and evaluation score in aligned windows of C = 512 context bytes, which give the
    # same values for this receptive field. The BLT stage still runs in aligned blocks of patches.
    return ModelSetConfig(
        name="blt-default",
        entropy=EntropyModelConfig(**{**asdict(WINDOWED_ENTROPY_CANDIDATES[DEFAULT_WINDOWED_CANDIDATE]),
                                      "rope_period": ROPE_PERIOD}),
        # The BLT with sliding windows too, run from rolling caches (one step per new patch): 96 bytes
        # for the local encoder and decoder, 16 patches for the latent transformer. Weights trained
        # in aligned blocks of 32 + 32 patches keep their quality under these windows (README).
        blt=BltConfig(byte_window=96, patch_window=16, rope_period=ROPE_PERIOD),
        streaming=StreamingConfig(entropy_context_bytes=512, entropy_block_bytes=256,
                                  blt_context_patches=32, blt_block_patches=32),
        patching=PatchingConfig(target_avg_patch_size=5.0),
        # Wall-clock caps sized so the whole of train.py stays within 90 minutes on 2 cores: about
        # 42 + 26 minutes of training plus 15 of calibration, patching, evaluation and export.
        entropy_train=TrainConfig(max_steps=3000, max_minutes=42.0, eval_every=400, batch_size=16),
        blt_train=TrainConfig(max_steps=3000, max_minutes=26.0, eval_every=1000, batch_size=16, learning_rate=3e-3,
                              blt_train_bytes_per_source=36_000),
    )


def tiny_window() -> ModelSetConfig:
    """tiny() with a two-layer sliding-window entropy model and a sliding-window BLT, for tests of the
    rolling caches: windows of 8 bytes (3 patches), so that short test streams roll them many times."""
    cfg = tiny()
    cfg.name = "blt-tiny-window"
    cfg.entropy = EntropyModelConfig(d_model=32, n_layers=2, n_heads=2, attention_window=8, rope_period=ROPE_PERIOD)
    cfg.blt.byte_window, cfg.blt.patch_window, cfg.blt.rope_period = 8, 3, ROPE_PERIOD  # rolling BLT caches too
    return cfg


DEFAULT_WINDOWED_CANDIDATE = "e128x2w256"
ROPE_PERIOD = 1 << 16
PRESETS = {"tiny": tiny, "tiny-window": tiny_window, "default": default}
