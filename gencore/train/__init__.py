"""Training: one loop (:func:`train`), the generic phases it runs, and the hooks beside them.

``loop``: :func:`train`, :class:`Phase`, :class:`History`, :class:`TrainingDiverged`;
``phases``: :func:`vae_phase`, :func:`gan_phases`, :func:`critic_phase`, :func:`classifier_phase`
(every generator step with its discriminator :func:`gencore.frozen`);
``hooks``: :class:`EMA` (and :func:`ema_copy`, a copy that trains while the shipped module holds the
average), :class:`LinearDecay`, :class:`ImagePool`.

A model family's own phases and losses are a module of the family's name, imported from there
and not re-exported here: ``gencore.train.cyclegan`` (:func:`cyclegan_phases`, ``cycle_loss``,
``identity_loss``), ``gencore.train.stylegan`` (:func:`stylegan_phases`, ``lazy_adam``, ``mix_styles``),
``gencore.train.conditional`` (:func:`cgan_phases`, :func:`cvae_phase`, :func:`cvae_gan_phases`,
``feature_centre_loss``, ``classwise_centre_loss``).
"""

from gencore.train.hooks import EMA, ImagePool, LinearDecay, ema_copy
from gencore.train.loop import History, Hook, Phase, TrainingDiverged, train
from gencore.train.phases import classifier_phase, critic_phase, gan_phases, vae_phase

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
    "EMA",
    "ema_copy",
    "LinearDecay",
    "ImagePool",
]
