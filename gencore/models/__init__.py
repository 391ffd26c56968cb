"""``nn.Module``s only, one file per family, and :func:`build`, which makes any shipped architecture.

A shipped model's manifest entry names each part's architecture and its config
(a JSON dict of the config dataclass's fields); ``build(arch, config)`` turns them
back into a module, so loading shipped weights needs only this package and
:mod:`gencore.checkpoint`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import fields

from torch import nn

from gencore.models.autoencoder import Autoencoder
from gencore.models.classifier import MNISTClassifier
from gencore.models.conditional import (
    AttributeEncoder,
    ConditionalEncoder,
    ConditionalGenerator,
    FeatureDiscriminator,
    IdentityGenerator,
    PrintedFactorJudge,
    Recognizer,
)
from gencore.models.cyclegan import PatchDiscriminator, ResnetGenerator, TranslationSnapshots
from gencore.models.dcgan import Critic, DCGANConfig, Discriminator, Discriminator32, Generator, Generator32
from gencore.models.linear_gaussian import LinearGaussian
from gencore.models.regressor import FactorRegressor
from gencore.models.stylegan import StyleDiscriminator, StyleGANConfig, StyleGenerator
from gencore.models.toy import MinibatchStdDiscriminator, MLPDiscriminator, MLPGenerator
from gencore.models.vae import VAE, VAEConfig

__all__ = ["VAE", "Autoencoder", "LinearGaussian", "MLPGenerator", "MLPDiscriminator", "build", "ARCHITECTURES"]


def _dataclass_config(cls, config: dict):
    """``cls(**config)`` with JSON lists turned back into the tuples the dataclass uses; unknown keys rejected."""
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(config) - names)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields {unknown}; fields: {sorted(names)}")
    return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in config.items()})


def _critic(config: dict) -> Critic:
    config = dict(config)
    norm = config.pop("norm", "none")
    return Critic(_dataclass_config(DCGANConfig, config), norm=norm)


#: architecture name -> function building the module from its config dict
ARCHITECTURES: dict[str, Callable[[dict], nn.Module]] = {
    "vae": lambda c: VAE(_dataclass_config(VAEConfig, c)),
    "autoencoder": lambda c: Autoencoder(**c),
    "mnist-classifier": lambda c: MNISTClassifier(**c),
    "dcgan-generator": lambda c: Generator(_dataclass_config(DCGANConfig, c)),
    "dcgan-discriminator": lambda c: Discriminator(_dataclass_config(DCGANConfig, c)),
    "dcgan-critic": _critic,
    "dcgan32-generator": lambda c: Generator32(_dataclass_config(DCGANConfig, c)),
    "dcgan32-discriminator": lambda c: Discriminator32(_dataclass_config(DCGANConfig, c)),
    "mlp-generator": lambda c: MLPGenerator(**c),
    "mlp-discriminator": lambda c: MLPDiscriminator(**c),
    "mbstd-discriminator": lambda c: MinibatchStdDiscriminator(**c),
    "cyclegan-generator": lambda c: ResnetGenerator(**c),
    "patchgan-discriminator": lambda c: PatchDiscriminator(**c),
    "cyclegan-snapshots": lambda c: TranslationSnapshots(**c),
    "factor-regressor": lambda c: FactorRegressor(**c),
    "stylegan-generator": lambda c: StyleGenerator(_dataclass_config(StyleGANConfig, c)),
    "stylegan-discriminator": lambda c: StyleDiscriminator(_dataclass_config(StyleGANConfig, c)),
    "conditional-generator": lambda c: ConditionalGenerator(**c),
    "conditional-encoder": lambda c: ConditionalEncoder(**c),
    "feature-discriminator": lambda c: FeatureDiscriminator(**c),
    "recognizer": lambda c: Recognizer(**c),
    "attribute-encoder": lambda c: AttributeEncoder(**c),
    "identity-generator": lambda c: IdentityGenerator(**c),
    "printed-factor-judge": lambda c: PrintedFactorJudge(**c),
}


#: settings that are sizes: at least 1 (other integer settings, such as counts of extra blocks, may be 0)
SIZES = frozenset(
    "width latent_dim z_dim w_dim hidden channels image_channels image_shape in_dim out_dim data_dim "
    "snapshots panel pack mapping_layers mbstd_group d_channels embed feature_dim".split()
)


def _check_config(arch: str, config: dict) -> None:
    """No negative count, no size below 1, no NaN: a clear error here rather than a shape error in torch."""
    for key, value in config.items():
        items = value if isinstance(value, (list, tuple)) else [value]
        for v in items:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                continue
            least = 1 if key in SIZES else 0
            if not math.isfinite(v) or v < least:
                what = "a size: at least 1" if least else "at least 0"
                raise ValueError(f"{arch} config {key!r} = {value!r} is not allowed ({what}, finite)")


def build(arch: str, config: dict | None = None) -> nn.Module:
    """The module of architecture ``arch`` (a key of :data:`ARCHITECTURES`) with ``config`` (a dict)."""
    if arch not in ARCHITECTURES:
        raise KeyError(f"unknown architecture {arch!r}; known: {', '.join(sorted(ARCHITECTURES))}")
    config = dict(config or {})
    _check_config(arch, config)
    return ARCHITECTURES[arch](config)
