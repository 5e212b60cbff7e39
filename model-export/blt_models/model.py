"""The two models, in one file: the byte-level entropy model and the Byte Latent Transformer.

Names follow the BLT paper (Pagnoni et al., 2024): entropy model, local encoder, latent transformer,
local decoder. Attention is written by hand because torch 1.13 has no fused attention, and every
mask is built from index comparisons so the exported ONNX graph has dynamic batch, sequence and
patch axes.

Batch rows never see each other: every mask is per row.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import VOCAB_SIZE, BltConfig, EntropyModelConfig
from .hashing import ngram_buckets

MASKED = -1e9  # finite, so a row with no allowed key gives a uniform (not NaN) softmax


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotary_tables(seq_len_like: torch.Tensor, head_dim: int, theta: float, period: int = 0):
    """cos and sin [T, head_dim/2] for positions 0..T-1, where T = seq_len_like.shape[1]."""
    if period > 0:
        return periodic_rotary(torch.arange(seq_len_like.shape[1], device=seq_len_like.device), head_dim, theta, period)
    positions = torch.arange(seq_len_like.shape[1], device=seq_len_like.device).float()
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, device=seq_len_like.device).float() / head_dim))
    angles = positions[:, None] * inv_freq[None, :]
    return angles.cos(), angles.sin()


def rotary_from(start, length: torch.Tensor, head_dim: int, theta: float, period: int = 0):
    """cos and sin [T, head_dim/2] for positions start..start+T-1 (start: a 0-d tensor or int)."""
    if period > 0:
        return periodic_rotary(torch.arange(length) + start, head_dim, theta, period)
    positions = (torch.arange(length) + start).float()
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2).float() / head_dim))
    angles = positions[:, None] * inv_freq[None, :]
    return angles.cos(), angles.sin()


def periodic_rotary(positions: torch.Tensor, head_dim: int, theta: float, period: int):
    """cos and sin [..., head_dim/2] of integer positions [...] under integer-periodic RoPE: each
    frequency is rounded to a whole number of turns per `period` positions (at least one), so the
    angle of position p is 2*pi * ((turns * (p mod period)) mod period) / period, computed from
    integers. It depends on p mod period only and is the same float at any stream offset, while
    R(i)^T R(j) = R(i - j) still holds: the attention stays relative (issue 29)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2).double() / head_dim))
    turns = torch.clamp(torch.round(inv_freq * period / (2 * math.pi)), min=1).long()
    phase = (positions.long()[..., None] % period) * turns % period
    angles = phase.float() * (2 * math.pi / period)
    return angles.cos(), angles.sin()


def apply_rotary(x, cos, sin):
    """x [B, H, T, Dh]; rotates the two halves of each head as complex pairs."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


def attend(q, k, v, allowed):
    """Scaled dot-product attention. q [B,H,Tq,Dh], k/v [B,H,Tk,Dh], allowed [B or 1,1,Tq,Tk] bool."""
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    scores = scores.masked_fill(~allowed, MASKED)
    return torch.matmul(torch.softmax(scores, dim=-1), v)


# Eager PyTorch (training, calibration) runs causal attention in query blocks of this many rows,
# each against only the keys up to its last row: at 768 tokens that skips a third of the score
# matrix and keeps it in cache. The exported graph keeps one block, so its sequence axis stays dynamic.
QUERY_BLOCK = 256


def attend_causal(q, k, v, allowed):
    """attend() for a mask under which every query sees itself and no later key (every
    self-attention here). Scales q rather than the scores and adds the mask as a bias built at
    the mask's own (broadcast) size: two passes over the [Tq, Tk] scores fewer. A training step
    of the default entropy model takes 0.6x the time of attend()."""
    t = q.shape[2]
    q = q * (1.0 / math.sqrt(q.shape[-1]))
    if torch.onnx.is_in_onnx_export() or torch.jit.is_tracing() or t <= QUERY_BLOCK:
        return _attend_biased(q, k, v, allowed)
    blocks = []
    for start in range(0, t, QUERY_BLOCK):
        end = min(t, start + QUERY_BLOCK)
        blocks.append(_attend_biased(q[:, :, start:end], k[:, :, :end], v[:, :, :end],
                                     allowed[..., start:end, :end]))
    return torch.cat(blocks, dim=2)


def _attend_biased(q, k, v, allowed):
    bias = (~allowed).to(q.dtype) * MASKED  # every row has an allowed key, so no row is all-masked
    return torch.matmul(torch.softmax(torch.matmul(q, k.transpose(-1, -2)) + bias, dim=-1), v)


def causal_mask(x, window: int = 0):
    """[1, 1, T, T]: position i may see positions j <= i, and with a window W > 0 only i - W < j."""
    pos = torch.arange(x.shape[1], device=x.device)
    return window_mask(pos, pos, window)


def window_mask(query_pos, key_pos, window: int = 0):
    """[1, 1, Tq, Tk]: query i may see key j when j <= i (and i - j < window, when window > 0)."""
    allowed = key_pos[None, :] <= query_pos[:, None]
    if window > 0:
        allowed = allowed & (query_pos[:, None] - key_pos[None, :] < window)
    return allowed[None, None]


class SelfAttention(nn.Module):
    def __init__(self, dim, n_heads, rope_theta, window: int = 0, rope_period: int = 0):
        super().__init__()
        self.n_heads = n_heads
        self.rope_theta = rope_theta
        self.window = window  # sliding-window attention over the last `window` positions; 0 = all
        self.rope_period = rope_period  # integer-periodic RoPE (periodic_rotary); 0 = the usual RoPE
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.out = nn.Linear(dim, dim, bias=False)

    def forward(self, x, allowed):
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4).unbind(0)
        cos, sin = rotary_tables(x, d // self.n_heads, self.rope_theta, self.rope_period)
        y = attend_causal(apply_rotary(q, cos, sin), apply_rotary(k, cos, sin), v, allowed)
        return self.out(y.transpose(1, 2).reshape(b, t, d))

    def forward_cached(self, x, past_k, past_v):
        """x [B,T,D] follows the P positions whose rotated keys and values are past_k/v [B,H,P,Dh].
        Returns (output, keys [B,H,P+T,Dh], values): the same as a pass over all P+T positions."""
        b, t, d = x.shape
        start = past_k.shape[2]
        q, k, v = self.qkv(x).view(b, t, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4).unbind(0)
        cos, sin = rotary_from(start, x.shape[1], d // self.n_heads, self.rope_theta, self.rope_period)
        keys = torch.cat([past_k, apply_rotary(k, cos, sin)], dim=2)
        values = torch.cat([past_v, v], dim=2)
        query_pos = torch.arange(x.shape[1]) + start
        key_pos = torch.arange(keys.shape[2])
        allowed = window_mask(query_pos, key_pos, self.window)
        # The same operations, in the same order, as attend_causal in the exported full graph, so
        # that ONNX Runtime gives the cached steps the full pass's bits (StepScoringIT).
        q = apply_rotary(q, cos, sin) * (1.0 / math.sqrt(q.shape[-1]))
        y = _attend_biased(q, keys, values, allowed)
        return self.out(y.transpose(1, 2).reshape(b, t, d)), keys, values


    def forward_rolling(self, x, start, valid_from, past_k, past_v, block: int, lengths=None):
        """x [B,T,D] at positions start[b]..start[b]+T-1 (T a multiple of block; rows may end in
        padding), after the P positions whose rotated keys and values are past_k/v [B,H,P,Dh]
        (positions start - P .. start - 1; those below valid_from[b] are absent and never seen).
        Returns (output, keys [B,H,P+T,Dh], values).

        Queries go in blocks of `block` aligned to absolute positions, and the queries of the block
        at base attend over the S = min(base, W) + block keys at positions base + block - S ..
        base + block - 1, in that order, under a mask: W + block keys in a stream's steady state,
        fewer in its first W positions, where earlier keys do not exist. A key's place in every
        reduction then depends on absolute positions only, never on how the stream was cut into
        calls or on the rows beside it, so ONNX Runtime gives a byte the same bits however its
        stream arrived (docs/DESIGN.md, "Rolling cache"). One call has one key span S, that of its
        last real block (lengths [B]: real tokens per row; all T when None): the Java runner gives a
        call of a block that starts before W that block alone, with rows of the same base.
        Every block is a matrix product of `block` rows, never one (see StepScorer in Java)."""
        b, t, d = x.shape
        h, dh, w = self.n_heads, d // self.n_heads, self.window
        q, k, v = self.qkv(x).view(b, t, 3, h, dh).permute(2, 0, 3, 1, 4).unbind(0)
        pos = start[:, None] + torch.arange(t)[None, :]  # [B,T]
        cos, sin = periodic_rotary(pos, dh, self.rope_theta, self.rope_period)
        cos, sin = cos[:, None], sin[:, None]  # [B,1,T,Dh/2]: per row, shared by heads
        q = apply_rotary(q, cos, sin) * (1.0 / math.sqrt(dh))
        keys = torch.cat([past_k, apply_rotary(k, cos, sin)], dim=2)
        values = torch.cat([past_v, v], dim=2)
        held = keys.shape[2]  # P + T
        lead = start % block  # [B]: positions of the first block before start
        # Query slots: T, and one block more when a row starts inside a block (T is a multiple of
        # block), so that every row's lead fits.
        slots = t + (lead.max() > 0).long() * block
        slot = torch.arange(slots)[None, :] - lead[:, None]  # [B,S]: call index of each query slot
        slot = torch.where((slot >= 0) & (slot < t), slot, torch.zeros_like(slot))
        q_blocks = rows_of(q, slot).reshape(b, h, -1, block, dh)  # [B,H,nb,block,Dh]
        n_blocks = q_blocks.shape[2]
        last = start + (t if lengths is None else lengths) - 1  # [B]: each row's last real position
        span = torch.clamp((last - last % block).max(), max=w) + block  # S: keys per query block
        # Keys of block j: call indices (past - lead) + j*block + block - S + c for c in 0 .. S - 1.
        column = torch.arange(span)
        index = (past_k.shape[2] - lead)[:, None, None] + (torch.arange(n_blocks) * block)[None, :, None] \
            + (column - (span - block))[None, None, :]  # [B,nb,S]
        key_pos = index + (start - past_k.shape[2])[:, None, None]
        present = (index >= 0) & (index < held) & (key_pos >= valid_from[:, None, None])
        index = torch.where(present, index, torch.zeros_like(index)).reshape(b, -1)
        k_blocks = rows_of(keys, index).reshape(b, h, n_blocks, -1, dh)  # [B,H,nb,S,Dh]
        v_blocks = rows_of(values, index).reshape(b, h, n_blocks, -1, dh)
        # Query i of a block sees its own position (column S - block + i) and the W - 1 before it.
        row = torch.arange(block)[:, None] + (span - block)
        in_window = (column[None, :] <= row) & (column[None, :] > row - w)  # [block, S]
        allowed = in_window[None, None] & present[:, :, None, :]  # [B,nb,block,S]
        y = _attend_biased(q_blocks, k_blocks, v_blocks, allowed[:, None])  # [B,H,nb,block,Dh]
        back = torch.arange(t)[None, :] + lead[:, None]  # [B,T]: the query slot of each call index
        y = rows_of(y.reshape(b, h, -1, dh), back)  # [B,H,T,Dh]
        return self.out(y.transpose(1, 2).reshape(b, t, d)), keys, values

    def forward_sliding(self, x, pos, cached, lengths, past_k, past_v, block: int = 0):
        """The BLT's rolling step (within the float tolerance of one pass, not bit for bit: no
        patch boundary depends on it). x [B,T,D] at positions pos[b].. (rows right-padded, lengths[b]
        real), after past_k/v [B,H,C,Dh], C = window - 1: the rotated keys and values of positions
        pos - C .. pos - 1, of which the last cached[b] are present. Queries go in blocks of `block`
        (T a multiple of it; 0: one block), each against the C + block keys that can reach it.
        -> (output, keys and values [B,H,C,Dh] of each row's last C positions: its next call's past)."""
        b, t, d = x.shape
        h, dh, c = self.n_heads, d // self.n_heads, past_k.shape[2]
        q, k, v = self.qkv(x).view(b, t, 3, h, dh).permute(2, 0, 3, 1, 4).unbind(0)
        cos, sin = periodic_rotary(pos[:, None] + torch.arange(t)[None, :], dh, self.rope_theta, self.rope_period)
        cos, sin = cos[:, None], sin[:, None]  # [B,1,T,Dh/2]
        q = apply_rotary(q, cos, sin) * (1.0 / math.sqrt(dh))
        keys = torch.cat([past_k, apply_rotary(k, cos, sin)], dim=2)  # [B,H,C+T,Dh]
        values = torch.cat([past_v, v], dim=2)
        block = block or t
        n_blocks = t // block
        # Block j's queries are call indices j*block + i; its keys, call indices j*block - C + s for
        # s in 0 .. C + block - 1, are slots j*block + s of keys (slot = call index + C).
        slot = (torch.arange(n_blocks) * block)[:, None] + torch.arange(c + block)[None, :]  # [nb, C+block]
        k_blocks = keys[:, :, slot]  # [B,H,nb,C+block,Dh]
        v_blocks = values[:, :, slot]
        query = torch.arange(block)[:, None] + c  # slot offset of query i within its block's keys
        column = torch.arange(c + block)[None, :]
        in_window = (column <= query) & (column > query - self.window)  # [block, C+block]
        present = slot[None] >= (c - cached)[:, None, None]  # [B,nb,C+block]: before the cache's start: absent
        allowed = in_window[None, None] & present[:, :, None, :]  # [B,nb,block,C+block]
        y = _attend_biased(q.reshape(b, h, n_blocks, block, dh), k_blocks, v_blocks, allowed[:, None])
        y = y.reshape(b, h, t, dh)
        keep = lengths[:, None] + torch.arange(c)[None, :]  # [B,C]: slots of each row's last C real positions
        return self.out(y.transpose(1, 2).reshape(b, t, d)), rows_of(keys, keep), rows_of(values, keep)


def rows_of(x, index):
    """x [B,H,N,Dh], index [B,M] into N -> [B,H,M,Dh]: whole rows of Dh, by one Gather on the
    flattened rows (a per-element gather copies one float at a time and costs more than attention;
    this layout needs no transpose before the matrix products)."""
    b, h, n, dh = x.shape
    heads = (torch.arange(b)[:, None] * h + torch.arange(h)[None, :]) * n  # [B,H]: first row of each head
    return x.reshape(b * h * n, dh)[heads[:, :, None] + index[:, None, :]]


class CrossAttention(nn.Module):
    """Queries from one sequence attend to keys/values of another, under a per-row mask."""

    def __init__(self, query_dim, kv_dim, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.q = nn.Linear(query_dim, query_dim, bias=False)
        self.kv = nn.Linear(kv_dim, 2 * query_dim, bias=False)
        self.out = nn.Linear(query_dim, query_dim, bias=False)

    def forward(self, queries, keys_values, allowed):
        b, tq, d = queries.shape
        tk = keys_values.shape[1]
        h, dh = self.n_heads, d // self.n_heads
        q = self.q(queries).view(b, tq, h, dh).transpose(1, 2)
        k, v = self.kv(keys_values).view(b, tk, 2, h, dh).permute(2, 0, 3, 1, 4).unbind(0)
        y = attend(q, k, v, allowed[:, None])
        return self.out(y.transpose(1, 2).reshape(b, tq, d))


class SwiGLU(nn.Module):
    def __init__(self, dim, multiplier):
        super().__init__()
        hidden = 16 * math.ceil(multiplier * dim / 16)
        self.gate_up = nn.Linear(dim, 2 * hidden, bias=False)
        self.down = nn.Linear(hidden, dim, bias=False)

    def forward(self, x):
        gate, up = self.gate_up(x).chunk(2, dim=-1)
        return self.down(F.silu(gate) * up)


class TransformerBlock(nn.Module):
    def __init__(self, dim, n_heads, ffn_multiplier, rope_theta, eps, window: int = 0, rope_period: int = 0):
        super().__init__()
        self.attn_norm = RMSNorm(dim, eps)
        self.attn = SelfAttention(dim, n_heads, rope_theta, window, rope_period)
        self.ffn_norm = RMSNorm(dim, eps)
        self.ffn = SwiGLU(dim, ffn_multiplier)

    def forward(self, x, allowed):
        x = x + self.attn(self.attn_norm(x), allowed)
        return x + self.ffn(self.ffn_norm(x))

    def forward_cached(self, x, past_k, past_v):
        y, keys, values = self.attn.forward_cached(self.attn_norm(x), past_k, past_v)
        x = x + y
        return x + self.ffn(self.ffn_norm(x)), keys, values


    def forward_rolling(self, x, start, valid_from, past_k, past_v, block: int, lengths=None):
        y, keys, values = self.attn.forward_rolling(self.attn_norm(x), start, valid_from, past_k, past_v, block, lengths)
        x = x + y
        return x + self.ffn(self.ffn_norm(x)), keys, values

    def forward_sliding(self, x, pos, cached, lengths, past_k, past_v, block: int = 0):
        y, keys, values = self.attn.forward_sliding(self.attn_norm(x), pos, cached, lengths, past_k, past_v, block)
        x = x + y
        return x + self.ffn(self.ffn_norm(x)), keys, values


def init_weights(module):
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)


# ---------------------------------------------------------------------------------------------------
# Entropy model
# ---------------------------------------------------------------------------------------------------

# Queries per block of the rolling graph (SelfAttention.forward_rolling): each attends over W + this
# many keys; a power of two, so that blocks fall at the same positions at any multiple of 2^31.
ROLLING_QUERY_BLOCK = 64


# Byte queries per block of the BLT's rolling graph (SelfAttention.forward_sliding): each block
# attends over byte_window - 1 + this many keys; calls are padded to a multiple of it.
ROLLING_BYTE_QUERY_BLOCK = 32


def check_rolling_blt(cfg: BltConfig) -> None:
    """The BLT's rolling caches need windows on every transformer and positions exact at any offset."""
    if cfg.byte_window <= 0 or cfg.patch_window <= 0 or cfg.rope_period <= 0:
        raise ValueError("a rolling BLT needs byte_window, patch_window and rope_period "
                         f"(got {cfg.byte_window}, {cfg.patch_window}, {cfg.rope_period})")


def check_rolling(cfg: EntropyModelConfig) -> None:
    """A rolling cache needs sliding-window attention, and positions exact at any stream length."""
    if cfg.attention_window <= 0 or cfg.rope_period <= 0:
        raise ValueError("a rolling cache needs sliding-window attention and periodic RoPE "
                         f"(attention_window={cfg.attention_window}, rope_period={cfg.rope_period})")


class EntropyModel(nn.Module):
    """Causal byte LM. forward(tokens [B,T]) -> (logits [B,T,260], hidden [B,T,D]).

    logits[:, t] is the distribution of token t+1 given tokens[:, :t+1].
    """

    def __init__(self, cfg: EntropyModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(VOCAB_SIZE, cfg.d_model)
        self.blocks = nn.ModuleList(
            TransformerBlock(cfg.d_model, cfg.n_heads, cfg.ffn_multiplier, cfg.rope_theta, cfg.norm_eps,
                             cfg.attention_window, cfg.rope_period)
            for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.head = nn.Linear(cfg.d_model, VOCAB_SIZE, bias=False)
        init_weights(self)

    def forward(self, tokens):
        x = self.embed(tokens)
        allowed = causal_mask(tokens, self.cfg.attention_window)
        for block in self.blocks:
            x = block(x, allowed)
        hidden = self.norm(x)
        return self.head(hidden), hidden

    def forward_cached(self, tokens, past_k, past_v):
        """tokens [B,T] continue a window whose first P positions' keys and values are past_k/v
        [L,B,H,P,Dh] (P may be 0). -> (logits [B,T,260], keys and values [L,B,H,P+T,Dh])."""
        x = self.embed(tokens)
        keys, values = [], []
        for i, block in enumerate(self.blocks):
            x, k, v = block.forward_cached(x, past_k[i], past_v[i])
            keys.append(k)
            values.append(v)
        return self.head(self.norm(x)), torch.stack(keys), torch.stack(values)


    def forward_rolling(self, tokens, start, valid_from, past_k, past_v, lengths=None):
        """tokens [B,T] (T a multiple of ROLLING_QUERY_BLOCK) at positions start[b].. continue a
        stream whose keys and values of the P positions before start are past_k/v [L,B,H,P,Dh]
        (those below valid_from[b] absent); lengths [B]: real tokens per row (None: all T).
        -> (logits [B,T,260], keys and values [L,B,H,P+T,Dh]). See SelfAttention.forward_rolling."""
        check_rolling(self.cfg)
        x = self.embed(tokens)
        keys, values = [], []
        for i, block in enumerate(self.blocks):
            x, k, v = block.forward_rolling(x, start, valid_from, past_k[i], past_v[i], ROLLING_QUERY_BLOCK, lengths)
            keys.append(k)
            values.append(v)
        return self.head(self.norm(x)), torch.stack(keys), torch.stack(values)


def next_token_logprob(logp, tokens):
    """[B,T]: log-probability, under logp[:, t], of the token that follows at t+1; 0 at the last t."""
    following = F.pad(tokens[:, 1:], (0, 1), value=0)
    gathered = logp.gather(-1, following.unsqueeze(-1)).squeeze(-1)
    has_next = F.pad(torch.ones_like(tokens[:, 1:]), (0, 1), value=0).to(logp.dtype)
    return gathered * has_next


class EntropyModelExport(nn.Module):
    """The exported graph: entropy and observed log-probability are computed in the graph so Java
    never receives [B,T,260] logits.

    inputs:  tokens  int64 [batch, seq]
    outputs: entropy        float32 [batch, seq]  entropy (nats) of the distribution of token t+1
             next_logprob   float32 [batch, seq]  log p(tokens[t+1]); 0 at the last position
             hidden         float32 [batch, seq, d_model]  final normed hidden state (for baselines)
    """

    def __init__(self, model: EntropyModel):
        super().__init__()
        self.model = model

    def forward(self, tokens):
        logits, hidden = self.model(tokens)
        logp = torch.log_softmax(logits, dim=-1)
        entropy = -(logp.exp() * logp).sum(-1)
        return entropy, next_token_logprob(logp, tokens), hidden


class EntropyStepExport(nn.Module):
    """The incremental graph: scores tokens that continue a window, given the window's earlier
    positions as cached attention keys and values, so a record arriving alone costs its own bytes,
    not the whole window again. A window scored in any number of steps gives the outputs of one
    pass over it.

    inputs:  tokens   int64 [batch, seq]
             past_key, past_value  float32 [layers, batch, heads, past, head_dim]  (past may be 0)
    outputs: entropy        float32 [batch, seq]  entropy (nats) of the distribution after each token
             next_logprob   float32 [batch, seq]  log p(tokens[t+1]); 0 at the last position
             last_logp      float32 [batch, 260]  log-distribution after the last token (it scores
                                                   the first token of the next step)
             present_key, present_value  float32 [layers, batch, heads, past + seq, head_dim]
    """

    def __init__(self, model: EntropyModel):
        super().__init__()
        self.model = model

    def forward(self, tokens, past_key, past_value):
        logits, keys, values = self.model.forward_cached(tokens, past_key, past_value)
        logp = torch.log_softmax(logits, dim=-1)
        entropy = -(logp.exp() * logp).sum(-1)
        return entropy, next_token_logprob(logp, tokens), logp[:, -1], keys, values


class EntropyRollingExport(nn.Module):
    """The rolling graph of a sliding-window entropy model: each call scores tokens that continue
    a stream, given the keys and values of the window before them, so a stream's cache never holds
    more than its window and each byte costs one position.

    inputs:  tokens      int64 [batch, seq]    seq a multiple of the query block; rows right-padded
             start       int64 [batch]         stream position of tokens[:, 0] (BOS is position 0)
             valid_from  int64 [batch]         first position present (earlier ones absent)
             lengths     int64 [batch]         real tokens per row (at least 1)
             past_key, past_value  float32 [layers, batch, heads, past, head_dim]
                                               positions start - past .. start - 1
    outputs: entropy, next_logprob [batch, seq]  as in the one-pass graph
             last_logp   float32 [batch, 260]  log-distribution after each row's last real token
             present_key, present_value  [layers, batch, heads, past + seq, head_dim]
    """

    def __init__(self, model: EntropyModel):
        super().__init__()
        self.model = model

    def forward(self, tokens, start, valid_from, lengths, past_key, past_value):
        logits, keys, values = self.model.forward_rolling(tokens, start, valid_from, past_key, past_value, lengths)
        logp = torch.log_softmax(logits, dim=-1)
        entropy = -(logp.exp() * logp).sum(-1)
        last = logp.gather(1, (lengths - 1)[:, None, None].expand(-1, 1, logp.shape[2]))[:, 0]
        return entropy, next_token_logprob(logp, tokens), last, keys, values


# ---------------------------------------------------------------------------------------------------
# Byte Latent Transformer
# ---------------------------------------------------------------------------------------------------

def patch_ids_from_starts(patch_start, seq_like):
    """patch_start [B,P] (ascending, first 0) -> patch id [B,T] of every byte position."""
    pos = torch.arange(seq_like.shape[1], device=seq_like.device)
    started = pos[None, None, :] >= patch_start[:, :, None]  # [B,P,T]
    return started.long().sum(1) - 1


def local_block(cfg: BltConfig) -> "TransformerBlock":
    """A layer of the local encoder or decoder: over bytes, within byte_window."""
    return TransformerBlock(cfg.d_local, cfg.n_heads_local, cfg.ffn_multiplier, cfg.rope_theta, cfg.norm_eps,
                            cfg.byte_window, cfg.rope_period)


class LocalEncoder(nn.Module):
    """Byte embeddings + hashed n-gram embeddings -> causal byte transformer -> byte states."""

    def __init__(self, cfg: BltConfig):
        super().__init__()
        self.cfg = cfg
        self.byte_embed = nn.Embedding(VOCAB_SIZE, cfg.d_local)
        self.ngram_embeds = nn.ModuleList(nn.Embedding(cfg.ngram_table_size, cfg.d_local) for _ in cfg.ngram_sizes)
        self.blocks = nn.ModuleList(local_block(cfg) for _ in range(cfg.encoder_layers))

    def embed(self, tokens, history=None):
        """Byte plus hashed n-gram embeddings. history [B, max(ngram_sizes) - 1]: the tokens before
        tokens[:, 0] (BOE before a stream's start), so that a rolling call hashes as one pass does."""
        x = self.byte_embed(tokens)
        extended = tokens if history is None else torch.cat([history, tokens], dim=1)
        for n, table in zip(self.cfg.ngram_sizes, self.ngram_embeds):
            x = x + table(ngram_buckets(extended, n, self.cfg.ngram_table_size)[:, extended.shape[1] - tokens.shape[1]:])
        return x

    def forward(self, tokens):
        x = self.embed(tokens)
        allowed = causal_mask(tokens, self.cfg.byte_window)
        for block in self.blocks:
            x = block(x, allowed)
        return x


class PatchPooling(nn.Module):
    """Cross-attention from patches to their own bytes; queries start as the max-pool of the patch."""

    def __init__(self, cfg: BltConfig):
        super().__init__()
        self.query_norm = RMSNorm(cfg.d_local, cfg.norm_eps)
        self.byte_norm = RMSNorm(cfg.d_local, cfg.norm_eps)
        self.cross = CrossAttention(cfg.d_local, cfg.d_local, cfg.n_heads_local)
        self.to_latent = nn.Linear(cfg.d_local, cfg.d_latent, bias=False)

    def forward(self, byte_states, membership, patch_start, patch_id, longest_patch=None):
        # membership [B,P,T]: byte t belongs to patch p. Empty (padding) patches pool to zero.
        pooled = patch_max(byte_states, patch_start, patch_id, longest_patch)
        pooled = pooled.masked_fill(~membership.any(-1, keepdim=True), 0.0)
        pooled = pooled + self.cross(self.query_norm(pooled), self.byte_norm(byte_states), membership)
        return self.to_latent(pooled)


def patch_max(x, patch_start, patch_id, longest_patch=None):
    """[B,P,D]: the elementwise max of x [B,T,D] over each patch's positions (an empty patch's is
    meaningless; the caller masks it).

    By doubling: after step k, m[t] is the max over the positions of t's patch in (t - 2^k, t], so
    ceil(log2(n)) steps give every patch of at most n bytes its max at its last position, gathered
    from there. That is a few passes over [B,T,D], where a max under a [B,P,T] mask costs P of them
    (a quarter of the BLT graph's time in ONNX Runtime on 140-byte records). A max is exact in any
    order, so both give the same bits. n: longest_patch when given (the exported graph, whose
    step count is fixed: BltConfig.max_pooled_patch_bytes, and the Java runner refuses longer
    patches), else the longest patch in x."""
    b, t, d = x.shape
    end = torch.cat([patch_start[:, 1:], torch.full_like(patch_start[:, :1], t)], dim=1)  # [B,P]
    if longest_patch is None:
        longest_patch = max(1, int((end - patch_start).max()))
    m, shift = x, 1
    while shift < longest_patch:
        earlier = torch.cat([torch.full_like(x[:, :shift], MASKED), m], dim=1)[:, :t]  # m[t - shift]
        earlier_id = torch.cat([torch.full_like(patch_id[:, :shift], -1), patch_id], dim=1)[:, :t]
        m = torch.where((earlier_id == patch_id)[..., None], torch.maximum(m, earlier), m)
        shift *= 2
    last = (end - 1).clamp(min=0, max=t - 1)  # [B,P]: each patch's last position
    return m.gather(1, last[..., None].expand(-1, -1, d))


class LatentTransformer(nn.Module):
    def __init__(self, cfg: BltConfig):
        super().__init__()
        self.cfg = cfg
        self.blocks = nn.ModuleList(
            TransformerBlock(cfg.d_latent, cfg.n_heads_latent, cfg.ffn_multiplier, cfg.rope_theta, cfg.norm_eps,
                             cfg.patch_window, cfg.rope_period)
            for _ in range(cfg.latent_layers))
        self.norm = RMSNorm(cfg.d_latent, cfg.norm_eps)

    def forward(self, patches):
        allowed = causal_mask(patches, self.cfg.patch_window)
        for block in self.blocks:
            patches = block(patches, allowed)
        return self.norm(patches)


class LocalDecoder(nn.Module):
    """Each byte cross-attends to the latent state of the previous patch, then a causal byte
    transformer predicts the next byte. Bytes of the first patch see a learned start state."""

    def __init__(self, cfg: BltConfig):
        super().__init__()
        self.start_latent = nn.Parameter(torch.zeros(cfg.d_latent))
        self.byte_norm = RMSNorm(cfg.d_local, cfg.norm_eps)
        self.cross = CrossAttention(cfg.d_local, cfg.d_latent, cfg.n_heads_local)
        self.cfg = cfg
        self.blocks = nn.ModuleList(local_block(cfg) for _ in range(cfg.decoder_layers))
        self.norm = RMSNorm(cfg.d_local, cfg.norm_eps)
        self.head = nn.Linear(cfg.d_local, VOCAB_SIZE, bias=False)

    def forward(self, byte_states, latent, membership):
        x = self.with_previous(byte_states, latent, membership, self.start_latent.expand(latent.shape[0], -1))
        allowed = causal_mask(byte_states, self.cfg.byte_window)
        for block in self.blocks:
            x = block(x, allowed)
        return self.head(self.norm(x))

    def with_previous(self, byte_states, latent, membership, first_previous):
        """Byte states plus the cross-attention to the latent of each byte's previous patch;
        first_previous [B,D]: the latent before the first patch."""
        previous = torch.cat([first_previous[:, None], latent[:, :-1]], dim=1)  # [B,P,D]
        return byte_states + self.cross(self.byte_norm(byte_states), previous, membership.transpose(1, 2))


class EmbeddingHead(nn.Module):
    """A patch's published embedding: an MLP over its pooled bytes and its latent state, trained so
    that a record's mean embedding groups lines of one template (train_embedding.py). Its output has
    the latent's width, so everything downstream keeps its shapes."""

    def __init__(self, cfg: BltConfig):
        super().__init__()
        self.norm = RMSNorm(2 * cfg.d_latent, cfg.norm_eps)
        self.hidden = nn.Linear(2 * cfg.d_latent, cfg.embedding_head)
        self.out = nn.Linear(cfg.embedding_head, cfg.d_latent)

    def forward(self, pooled, latent):
        return self.out(F.gelu(self.hidden(self.norm(torch.cat([pooled, latent], dim=-1)))))


class ByteLatentTransformer(nn.Module):
    """forward(tokens [B,T], patch_start [B,P]) -> (logits [B,T,260], patch latents [B,P,D]).

    patch_start holds each patch's first position, ascending, the first one 0. Padding: end the
    real bytes with one extra patch that starts at the first padding position; further padding
    patches start at T (empty). Both lie after every real patch, so causality keeps them out.
    """

    def __init__(self, cfg: BltConfig):
        super().__init__()
        self.cfg = cfg
        self.local_encoder = LocalEncoder(cfg)
        self.patch_pooling = PatchPooling(cfg)
        self.latent_transformer = LatentTransformer(cfg)
        self.local_decoder = LocalDecoder(cfg)
        self.embedding_head = EmbeddingHead(cfg) if cfg.embedding_head else None
        init_weights(self)

    def forward(self, tokens, patch_start):
        logits, latent, _ = self.forward_with_pooled(tokens, patch_start)
        return logits, latent

    def forward_with_pooled(self, tokens, patch_start, longest_patch=None):
        """(logits, latent, pooled): pooled [B,P,D] is the latent transformer's input.
        longest_patch: the longest patch the caller sends (see patch_max); None: any."""
        patch_id = patch_ids_from_starts(patch_start, tokens)
        patch_index = torch.arange(patch_start.shape[1], device=tokens.device)
        membership = patch_id[:, None, :] == patch_index[None, :, None]  # [B,P,T]
        byte_states = self.local_encoder(tokens)
        pooled = self.patch_pooling(byte_states, membership, patch_start, patch_id, longest_patch)
        latent = self.latent_transformer(pooled)
        logits = self.local_decoder(byte_states, latent, membership)
        return logits, latent, pooled

    def forward_rolling(self, tokens, patch_start, byte_pos, patch_pos, lengths, patch_counts, byte_cached,
                        patch_cached, history, byte_k, byte_v, latent_k, latent_v, prev_latent):
        """One call of whole patches that continue a stream, from the rolling caches of the patches
        before it (a sliding-window BLT: byte_window, patch_window and rope_period set). Rows are
        padded as pad_blt_batch pads them, T a multiple of ROLLING_BYTE_QUERY_BLOCK.

        byte_pos, patch_pos [B]: stream position of tokens[:, 0] and index of the first patch (BOS is
        byte position 0 and patch 0); lengths, patch_counts [B]: real tokens and patches per row;
        byte_cached, patch_cached [B]: how many of the cached positions are present; history [B, n-1]
        the tokens before the call (BOE before the stream's start); byte_k/v [Lenc+Ldec,B,H,Wb-1,Dh]
        (encoder layers, then decoder layers), latent_k/v [Llat,B,H,Wp-1,Dh]; prev_latent [B,D]: the
        latent of the patch before the call (ignored when patch_pos is 0: the start latent).
        -> (logits, latent, pooled, byte_k/v, latent_k/v of the rows' last positions)."""
        check_rolling_blt(self.cfg)
        patch_id = patch_ids_from_starts(patch_start, tokens)
        patch_index = torch.arange(patch_start.shape[1])
        membership = patch_id[:, None, :] == patch_index[None, :, None]
        x = self.local_encoder.embed(tokens, history)
        byte_keys, byte_values = [], []
        for i, block in enumerate(self.local_encoder.blocks):
            x, k, v = block.forward_sliding(x, byte_pos, byte_cached, lengths, byte_k[i], byte_v[i],
                                            ROLLING_BYTE_QUERY_BLOCK)
            byte_keys.append(k)
            byte_values.append(v)
        pooled = self.patch_pooling(x, membership, patch_start, patch_id, self.cfg.max_pooled_patch_bytes)
        latent, latent_keys, latent_values = pooled, [], []
        for i, block in enumerate(self.latent_transformer.blocks):
            latent, k, v = block.forward_sliding(latent, patch_pos, patch_cached, patch_counts, latent_k[i], latent_v[i])
            latent_keys.append(k)
            latent_values.append(v)
        latent = self.latent_transformer.norm(latent)
        decoder = self.local_decoder
        first_previous = torch.where((patch_pos == 0)[:, None], decoder.start_latent[None, :], prev_latent)
        y = decoder.with_previous(x, latent, membership, first_previous)
        layers = len(self.local_encoder.blocks)
        for i, block in enumerate(decoder.blocks):
            y, k, v = block.forward_sliding(y, byte_pos, byte_cached, lengths, byte_k[layers + i], byte_v[layers + i],
                                            ROLLING_BYTE_QUERY_BLOCK)
            byte_keys.append(k)
            byte_values.append(v)
        logits = decoder.head(decoder.norm(y))
        return (logits, latent, pooled, torch.stack(byte_keys), torch.stack(byte_values), torch.stack(latent_keys),
                torch.stack(latent_values))

    def patch_embeddings(self, pooled, latent):
        """[B,P,D]: what the graph publishes per patch (the head's output, or the latent state)."""
        return latent if self.embedding_head is None else self.embedding_head(pooled, latent)


class BltExport(nn.Module):
    """The exported BLT graph.

    inputs:  tokens       int64 [batch, seq]
             patch_start  int64 [batch, patches]
    outputs: patch_embedding     float32 [batch, patches, d_latent]  each patch's embedding: the
                                 embedding head's output, or the latent state without a head
             next_logprob        float32 [batch, seq]  log p(tokens[t+1]); 0 at the last position
             patch_end_logprobs  float32 [batch, patches, 260]  log-distribution of the byte after
                                 each patch (read at the patch's last position)
    """

    def __init__(self, model: ByteLatentTransformer):
        super().__init__()
        self.model = model

    def forward(self, tokens, patch_start):
        # A fixed number of pooling steps, as a graph needs: patches up to max_pooled_patch_bytes.
        logits, latent, pooled = self.model.forward_with_pooled(tokens, patch_start,
                                                                self.model.cfg.max_pooled_patch_bytes)
        logp = torch.log_softmax(logits, dim=-1)
        seq_len = torch.full_like(patch_start[:, :1], tokens.shape[1])
        patch_end = torch.cat([patch_start[:, 1:], seq_len], dim=1) - 1
        patch_end = patch_end.clamp(min=0, max=tokens.shape[1] - 1)
        end_logp = logp.gather(1, patch_end.unsqueeze(-1).expand(-1, -1, logp.shape[-1]))
        return self.model.patch_embeddings(pooled, latent), next_token_logprob(logp, tokens), end_logp


class BltRollingExport(nn.Module):
    """The rolling graph of a sliding-window BLT: each call takes a stream's next whole patches and
    the rolling caches of what came before (ByteLatentTransformer.forward_rolling), so a patch costs
    its own bytes once. Outputs as BltExport, plus the caches for the next call and last_latent
    [B, d_latent], the latent of each row's last real patch."""

    def __init__(self, model: ByteLatentTransformer):
        super().__init__()
        self.model = model

    def forward(self, tokens, patch_start, byte_pos, patch_pos, lengths, patch_counts, byte_cached, patch_cached,
                history, past_byte_key, past_byte_value, past_latent_key, past_latent_value, prev_latent):
        logits, latent, pooled, byte_k, byte_v, latent_k, latent_v = self.model.forward_rolling(
            tokens, patch_start, byte_pos, patch_pos, lengths, patch_counts, byte_cached, patch_cached, history,
            past_byte_key, past_byte_value, past_latent_key, past_latent_value, prev_latent)
        logp = torch.log_softmax(logits, dim=-1)
        seq_len = torch.full_like(patch_start[:, :1], tokens.shape[1])
        patch_end = (torch.cat([patch_start[:, 1:], seq_len], dim=1) - 1).clamp(min=0, max=tokens.shape[1] - 1)
        end_logp = logp.gather(1, patch_end.unsqueeze(-1).expand(-1, -1, logp.shape[-1]))
        last_latent = latent.gather(1, (patch_counts - 1)[:, None, None].expand(-1, 1, latent.shape[2]))[:, 0]
        return (self.model.patch_embeddings(pooled, latent), next_token_logprob(logp, tokens), end_logp,
                byte_k, byte_v, latent_k, latent_v, last_latent)


def flops_per_token_entropy(cfg: EntropyModelConfig, context: int) -> float:
    """Forward FLOPs per token: 2 per multiply-add in matmuls, attention at the given context."""
    d = cfg.d_model
    hidden = 16 * math.ceil(cfg.ffn_multiplier * d / 16)
    per_layer = 2 * (3 * d * d + d * d + 3 * d * hidden) + 2 * 2 * context * d
    return cfg.n_layers * per_layer + 2 * d * VOCAB_SIZE


def flops_per_byte_blt(cfg: BltConfig, byte_context: int, patch_context: int, avg_patch_size: float) -> float:
    def layer(d, ctx):
        hidden = 16 * math.ceil(cfg.ffn_multiplier * d / 16)
        return 2 * (4 * d * d + 3 * d * hidden) + 4 * ctx * d

    dl, dL = cfg.d_local, cfg.d_latent
    local = (cfg.encoder_layers + cfg.decoder_layers) * layer(dl, byte_context)
    cross = 2 * (2 * dl * dl + 2 * dl * dL) + 2 * 2 * dl * dl  # decoder cross + pooling share per byte
    head = 2 * dl * VOCAB_SIZE
    latent = (cfg.latent_layers * layer(dL, patch_context) + 2 * dl * dL) / avg_patch_size
    return local + cross + head + latent
