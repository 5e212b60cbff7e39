import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from blt_models import config as C  # noqa: E402
from blt_models.model import ByteLatentTransformer, EntropyModel  # noqa: E402


@pytest.fixture(scope="session")
def tiny_cfg():
    return C.tiny()


@pytest.fixture(scope="session")
def entropy_model(tiny_cfg):
    torch.manual_seed(0)
    return EntropyModel(tiny_cfg.entropy).eval()


@pytest.fixture(scope="session")
def blt_model(tiny_cfg):
    torch.manual_seed(0)
    return ByteLatentTransformer(tiny_cfg.blt).eval()
