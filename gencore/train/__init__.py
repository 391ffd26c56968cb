"""Training: one loop (:func:`train`), the phases it runs, and the hooks beside them.

``loop``: :func:`train`, :class:`Phase`, :class:`History`, :class:`TrainingDiverged`;
``phases``: :func:`vae_phase`, :func:`gan_phases`, :func:`critic_phase`, :func:`classifier_phase`,
:func:`cyclegan_phases`, :func:`stylegan_phases`;
``hooks``: :class:`EMA`, :class:`LinearDecay`, :class:`ImagePool`.
"""

from gencore.train.hooks import EMA, ImagePool, LinearDecay
from gencore.train.loop import History, Hook, Phase, TrainingDiverged, train
from gencore.train.phases import (
    classifier_phase,
    critic_phase,
    cyclegan_phases,
    gan_phases,
    lazy_adam,
    stylegan_phases,
    vae_phase,
)

__all__ = [
    "train",
    "Phase",
    "Hook",
    "History",
    "TrainingDiverged",
    "vae_phase",
    "gan_phases",
    "critic_phase",
    "classifier_phase",
    "cyclegan_phases",
    "stylegan_phases",
    "lazy_adam",
    "EMA",
    "LinearDecay",
    "ImagePool",
]
