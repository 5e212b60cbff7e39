"""Shapes, causality and batch independence of both models in PyTorch."""
import pytest
import torch

from blt_models import config as C
from blt_models.model import BltExport, ByteLatentTransformer, EntropyModelExport, patch_ids_from_starts
from blt_models.runtime import pad_blt_batch, run_blt, run_entropy


def random_tokens(b, t, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(C.BYTE_OFFSET, C.VOCAB_SIZE, (b, t), generator=g)


def test_entropy_model_shapes(entropy_model, tiny_cfg):
    entropy, logprob, hidden = EntropyModelExport(entropy_model)(random_tokens(3, 17))
    assert entropy.shape == (3, 17) and logprob.shape == (3, 17)
    assert hidden.shape == (3, 17, tiny_cfg.entropy.d_model)
    assert torch.all(entropy >= 0) and torch.all(entropy <= torch.log(torch.tensor(260.0)) + 1e-5)
    assert torch.all(logprob <= 0) and torch.all(logprob[:, -1] == 0)


def test_blt_shapes(blt_model, tiny_cfg):
    tokens, starts = pad_blt_batch([(list(range(10, 30)), [0, 3, 9]), (list(range(5, 12)), [0, 4])])
    emb, logprob, end = BltExport(blt_model)(tokens, starts)
    assert emb.shape == (2, 3, tiny_cfg.blt.d_latent)
    assert logprob.shape == (2, 20)
    assert end.shape == (2, 3, C.VOCAB_SIZE)
    assert torch.allclose(end.exp().sum(-1), torch.ones(2, 3), atol=1e-4)


def test_patch_ids_from_starts():
    starts = torch.tensor([[0, 2, 5]])
    assert patch_ids_from_starts(starts, torch.zeros(1, 7)).tolist() == [[0, 0, 1, 1, 1, 2, 2]]


def test_entropy_model_is_causal(entropy_model):
    wrapper = EntropyModelExport(entropy_model)
    tokens = random_tokens(1, 24)
    base = wrapper(tokens)
    for t in range(23):
        changed = tokens.clone()
        changed[0, t + 1] = (changed[0, t + 1] - C.BYTE_OFFSET + 1) % 256 + C.BYTE_OFFSET
        out = wrapper(changed)
        assert torch.allclose(out[0][0, :t + 1], base[0][0, :t + 1], atol=1e-6), t  # entropy <= t
        assert torch.allclose(out[2][0, :t + 1], base[2][0, :t + 1], atol=1e-6), t  # hidden <= t
        assert torch.allclose(out[1][0, :t], base[1][0, :t], atol=1e-6), t  # log p of bytes <= t
        assert not torch.allclose(out[0][0], base[0][0]) or t == 22  # the change is seen later


def test_blt_is_causal(blt_model):
    wrapper = BltExport(blt_model)
    tokens = random_tokens(1, 24, seed=3)
    starts = torch.tensor([[0, 4, 5, 11, 17, 20]])
    base = wrapper(tokens, starts)
    ends = torch.cat([starts[0, 1:], torch.tensor([24])]) - 1
    for t in range(23):
        changed = tokens.clone()
        changed[0, t + 1] = (changed[0, t + 1] - C.BYTE_OFFSET + 7) % 256 + C.BYTE_OFFSET
        emb, logprob, end = wrapper(changed, starts)
        done = ends <= t  # patches that end at or before t
        assert torch.allclose(logprob[0, :t], base[1][0, :t], atol=1e-6), t
        assert torch.allclose(emb[0, done], base[0][0, done], atol=1e-6), t
        assert torch.allclose(end[0, done], base[2][0, done], atol=1e-6), t
        assert not torch.allclose(logprob[0], base[1][0])


def test_batch_rows_do_not_bleed(entropy_model, blt_model):
    ent = EntropyModelExport(entropy_model)
    rows = [[C.BOS_ID] + list(range(40, 70)), list(range(100, 105)), list(range(7, 20))]
    together = run_entropy(ent, rows, batch_size=8)
    alone = [run_entropy(ent, [r], batch_size=1)[0] for r in rows]
    for (e1, l1), (e2, l2) in zip(together, alone):
        assert torch.allclose(torch.tensor(e1), torch.tensor(e2), atol=1e-5)
        assert torch.allclose(torch.tensor(l1[:-1]), torch.tensor(l2[:-1]), atol=1e-5)

    blt = BltExport(blt_model)
    calls = [(rows[0], [0, 1, 6, 20]), (rows[1], [0, 2]), (rows[2], [0, 5, 6, 9])]
    together = run_blt(blt, calls, batch_size=8)
    alone = [run_blt(blt, [c], batch_size=1)[0] for c in calls]
    for a, b in zip(together, alone):
        assert torch.allclose(torch.tensor(a[0]), torch.tensor(b[0]), atol=1e-5)
        assert torch.allclose(torch.tensor(a[1][:-1]), torch.tensor(b[1][:-1]), atol=1e-5)
        assert torch.allclose(torch.tensor(a[2]), torch.tensor(b[2]), atol=1e-5)


def test_query_blocks_give_one_pass_attention(entropy_model, blt_model, monkeypatch):
    """Eager PyTorch splits long causal attention into query blocks; the exported graph does not.
    Both must give the same outputs, for the entropy model and for the BLT's byte and patch layers."""
    from blt_models import model as M
    tokens = random_tokens(2, 2 * M.QUERY_BLOCK + 37)
    starts = torch.tensor([list(range(0, tokens.shape[1], 2))] * 2)
    blocked = EntropyModelExport(entropy_model)(tokens), BltExport(blt_model)(tokens, starts)
    monkeypatch.setattr(M, "QUERY_BLOCK", 10 ** 6)
    whole = EntropyModelExport(entropy_model)(tokens), BltExport(blt_model)(tokens, starts)
    for got, want in zip([t for outs in blocked for t in outs], [t for outs in whole for t in outs]):
        assert torch.allclose(got, want, atol=1e-5, rtol=1e-5)


def test_embedding_head_shapes_only_the_published_embeddings(blt_model, tiny_cfg):
    """A folder with an embedding head predicts every byte exactly as the same BLT without it; only
    patch_embedding changes, to the head's output over each patch's pooled bytes and latent state."""
    import dataclasses
    with_head = ByteLatentTransformer(dataclasses.replace(tiny_cfg.blt, embedding_head=24)).eval()
    missing, _ = with_head.load_state_dict(blt_model.state_dict(), strict=False)
    assert missing and all(k.startswith("embedding_head.") for k in missing)
    tokens = torch.randint(4, 260, (2, 20))
    starts = torch.tensor([[0, 5, 9, 14], [0, 3, 11, 20]])
    with torch.no_grad():
        plain = BltExport(blt_model)(tokens, starts)
        headed = BltExport(with_head)(tokens, starts)
        _, latent, pooled = with_head.forward_with_pooled(tokens, starts)
    assert torch.equal(plain[1], headed[1]) and torch.equal(plain[2], headed[2])
    assert torch.equal(plain[0], latent)
    assert torch.allclose(headed[0], with_head.embedding_head(pooled, latent))
    assert headed[0].shape == plain[0].shape and not torch.allclose(headed[0], plain[0])


def test_sliding_window_attention_sees_only_its_receptive_field():
    # Two layers of window 4: the output at t is a function of tokens t - 6 .. t only, L * (W - 1) + 1
    # positions (issue 29).
    from blt_models.model import EntropyModel
    torch.manual_seed(0)
    cfg = C.EntropyModelConfig(d_model=16, n_layers=2, n_heads=2, attention_window=4)
    model = EntropyModel(cfg).eval()
    tokens = torch.randint(4, 260, (1, 40))
    changed = tokens.clone()
    changed[0, :20] = torch.randint(4, 260, (20,))  # everything before position 20 differs
    with torch.no_grad():
        a, _ = model(tokens)
        b, _ = model(changed)
    assert torch.allclose(a[0, 26:], b[0, 26:], atol=1e-6)  # 26 - 6 = 20: nothing it sees changed
    assert not torch.allclose(a[0, 25], b[0, 25], atol=1e-6)  # sees position 19 through two layers


def test_sliding_window_cached_steps_give_the_one_pass_outputs():
    from blt_models.model import EntropyModel
    torch.manual_seed(1)
    cfg = C.EntropyModelConfig(d_model=16, n_layers=2, n_heads=2, attention_window=5)
    model = EntropyModel(cfg).eval()
    assert_steps_give_one_pass(model, torch.randint(4, 260, (1, 23)), step=3)


def test_periodic_rope_gives_the_same_angles_at_any_offset_that_is_a_multiple_of_its_period():
    from blt_models.model import periodic_rotary
    near_zero = periodic_rotary(torch.arange(5, 40), 32, 10000.0, 65536)
    past_2_31 = periodic_rotary(torch.arange(5, 40) + 2**31, 32, 10000.0, 65536)
    assert torch.equal(near_zero[0], past_2_31[0]) and torch.equal(near_zero[1], past_2_31[1])
    # Still relative: the score of a query and a key depends on their distance only.
    cos, sin = periodic_rotary(torch.tensor([3, 10, 1000, 1007]), 16, 10000.0, 65536)
    q, k = torch.randn(16), torch.randn(16)
    def rotate(x, i):
        return torch.cat([x[:8] * cos[i] - x[8:] * sin[i], x[:8] * sin[i] + x[8:] * cos[i]])
    assert abs(float(rotate(q, 1) @ rotate(k, 0)) - float(rotate(q, 3) @ rotate(k, 2))) < 1e-4


def test_a_periodic_windowed_model_steps_to_its_one_pass_outputs():
    from blt_models.model import EntropyModel
    torch.manual_seed(2)
    cfg = C.EntropyModelConfig(d_model=16, n_layers=2, n_heads=2, attention_window=6, rope_period=1024)
    model = EntropyModel(cfg).eval()
    assert_steps_give_one_pass(model, torch.randint(4, 260, (1, 30)), step=4)


def assert_steps_give_one_pass(model, tokens, step):
    """forward_cached over tokens in pieces of `step`, from an empty cache, gives forward's logits."""
    cfg = model.cfg
    with torch.no_grad():
        whole, _ = model(tokens)
        shape = (cfg.n_layers, 1, cfg.n_heads, 0, cfg.d_model // cfg.n_heads)
        past_k, past_v = torch.zeros(shape), torch.zeros(shape)
        pieces = []
        for start in range(0, tokens.shape[1], step):
            out, past_k, past_v = model.forward_cached(tokens[:, start:start + step], past_k, past_v)
            pieces.append(out)
    assert torch.allclose(torch.cat(pieces, dim=1), whole, atol=1e-5)


def rolling_model(seed=3, window=6, layers=2):
    from blt_models.model import EntropyModel
    torch.manual_seed(seed)
    cfg = C.EntropyModelConfig(d_model=16, n_layers=layers, n_heads=2, attention_window=window, rope_period=1024)
    return EntropyModel(cfg).eval()


def split_first_window(steps, offset, window):
    """The calls steps give in Java: a query block that starts before W goes alone in its call
    (RollingWindow.callEnd), so that its key span is its own."""
    from blt_models.model import ROLLING_QUERY_BLOCK as block
    calls, at = [], offset
    for n in steps:
        while n > 0:
            base = at - at % block
            take = min(n, base + block - at) if base < window else n
            calls.append(take)
            at, n = at + take, n - take
    return calls


def roll(model, tokens, steps, offset=0):
    """Scores tokens [1, T] (positions offset..) with forward_rolling as the Java patcher calls it:
    each call's tokens padded to whole query blocks, after the W cached positions before them.
    steps: new tokens per call. -> logits [T, 260] in position order."""
    from blt_models.model import ROLLING_QUERY_BLOCK
    cfg = model.cfg
    shape = (cfg.n_layers, 1, cfg.n_heads, 0, cfg.d_model // cfg.n_heads)
    past_k, past_v = torch.zeros(shape), torch.zeros(shape)
    logits, done = [], 0
    with torch.no_grad():
        for n in split_first_window(steps, offset, cfg.attention_window):
            padded = torch.nn.functional.pad(tokens[:, done:done + n], (0, -n % ROLLING_QUERY_BLOCK))
            out, keys, values = model.forward_rolling(padded, torch.tensor([offset + done]), torch.tensor([offset]),
                                                      past_k, past_v, torch.tensor([n]))
            logits.append(out[0, :n])
            real = past_k.shape[3] + n
            past_k = keys[:, :, :, max(0, real - cfg.attention_window):real]
            past_v = values[:, :, :, max(0, real - cfg.attention_window):real]
            done += n
    return torch.cat(logits)


def test_rolling_calls_give_the_one_pass_outputs_however_the_stream_is_cut():
    model = rolling_model()
    tokens = torch.randint(4, 260, (1, 150))
    with torch.no_grad():
        whole, _ = model(tokens)
    for steps in ([150], [7] * 20 + [10], [1] * 150, [2, 1, 3, 80, 64]):
        assert torch.allclose(roll(model, tokens, steps), whole[0], atol=1e-5), steps


def test_blocks_in_a_streams_first_window_attend_over_the_keys_that_exist():
    # W = 128: the blocks at 0 and 64 start before W and take 64 and 128 keys; later ones W + 64.
    model = rolling_model(seed=6, window=128)
    tokens = torch.randint(4, 260, (1, 300))
    with torch.no_grad():
        whole, _ = model(tokens)
    for steps in ([64, 64, 172], [10, 54, 30, 34, 150, 22], [1] * 70 + [230]):
        assert torch.allclose(roll(model, tokens, steps), whole[0], atol=1e-5), steps


def test_rolling_is_the_same_past_2_31_and_a_rebuilt_cache_continues_exactly():
    model = rolling_model(seed=4)
    tokens = torch.randint(4, 260, (1, 100))
    at_zero = roll(model, tokens, [5] * 20)
    # Bit for bit once the receptive field lies past the first block that starts at W or later (at
    # 64 here): blocks before it have no earlier keys at 0, and take fewer.
    exact_from = 64 + model.cfg.n_layers * (model.cfg.attention_window - 1)
    assert torch.equal(roll(model, tokens, [5] * 20, offset=2**31)[exact_from:], at_zero[exact_from:])
    # A cache rebuilt from the last L * (W - 1) tokens only: the outputs after them are exact.
    keep = model.cfg.n_layers * (model.cfg.attention_window - 1)
    rebuilt = roll(model, tokens[:, 100 - keep - 8:], [keep, 8], offset=100 - keep - 8)
    assert torch.allclose(rebuilt[keep:], at_zero[100 - 8:], atol=1e-5)


def test_rolling_rows_padded_together_do_not_bleed():
    model = rolling_model(seed=5)
    cfg = model.cfg
    shape = (cfg.n_layers, 2, cfg.n_heads, 0, cfg.d_model // cfg.n_heads)
    a, b = torch.randint(4, 260, (1, 9)), torch.randint(4, 260, (1, 4))
    pad = torch.nn.functional.pad
    padded = torch.cat([pad(a, (0, 64 - 9)), pad(b, (0, 64 - 4))])
    with torch.no_grad():
        together, _, _ = model.forward_rolling(padded, torch.tensor([0, 0]), torch.tensor([0, 0]),
                                               torch.zeros(shape), torch.zeros(shape))
        alone, _ = model(b)
    assert torch.allclose(together[1, :4], alone[0], atol=1e-5)


def test_a_rolling_cache_needs_a_window_and_periodic_rope():
    from blt_models.model import EntropyModel
    model = EntropyModel(C.EntropyModelConfig(d_model=16, n_layers=1, n_heads=2, attention_window=4))
    with pytest.raises(ValueError, match="periodic RoPE"):
        model.forward_rolling(torch.zeros(1, 64, dtype=torch.long), torch.tensor([0]), torch.tensor([0]),
                              torch.zeros(1, 1, 2, 0, 8), torch.zeros(1, 1, 2, 0, 8))


def test_patch_max_by_doubling_is_the_masked_max_bit_for_bit():
    from blt_models.model import MASKED, patch_max
    torch.manual_seed(7)
    x = torch.randn(2, 40, 8)
    starts = torch.tensor([[0, 1, 5, 6, 21, 40], [0, 3, 4, 12, 13, 33]])  # row 0 ends in an empty patch
    patch_id = patch_ids_from_starts(starts, x)
    membership = patch_id[:, None, :] == torch.arange(starts.shape[1])[None, :, None]
    masked = x[:, None].masked_fill(~membership[..., None], MASKED).max(dim=2).values
    real = membership.any(-1)
    for bound in (None, 20, 32):  # the longest patch here is 20 bytes
        assert torch.equal(patch_max(x, starts, patch_id, bound)[real], masked[real]), bound
    # A bound shorter than a patch leaves that patch's max to its last bound bytes: hence the Java check.
    assert not torch.equal(patch_max(x, starts, patch_id, 8)[real], masked[real])
