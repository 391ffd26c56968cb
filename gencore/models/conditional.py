"""Class-conditional networks for 28×28 images: CGAN, CVAE and CVAE-GAN (``book/conditional.ipynb``).

One generator serves the three models so that they differ only in how it is trained:

- :class:`ConditionalGenerator` G(z, c): a code z ~ N(0, I) and a class c -> an image
  ``(N, 1, 28, 28)`` in [-1, 1]. Its last layer gives logits l and the image is
  2σ(l) − 1, so the CVAE's Bernoulli likelihood of the intensities (x + 1)/2 reads
  the same network (``G.logits``);
- :class:`ConditionalEncoder` q(z | x, c) = N(μ, diag σ²) of the CVAE and CVAE-GAN;
- :class:`FeatureDiscriminator` D(x) or D(x, c): strided convolutions to a feature vector
  f_D(x) (its last hidden layer, which CVAE-GAN's generator matches), then a logit
  w·f_D(x) + b; with ``classes > 0`` (the CGAN's D) the class adds e_c·f_D(x), the inner
  product of a learned embedding of c with the features (Miyato & Koyama's projection);
- :class:`Recognizer`: a classifier of the fine classes with ``features`` and ``head``
  (the CVAE-GAN's C, and the separately trained judge of every generator).

The class is an integer label in ``0..classes-1``, embedded by a learned table.
"""

from __future__ import annotations

import torch
from torch import nn

from gencore.models.layers import conv_trunk
from gencore.models.sampling import sample_in_chunks


def _check_images(x: torch.Tensor, who: str) -> None:
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        raise ValueError(f"{who} expects images of shape (N, 1, 28, 28) in [-1, 1], got {tuple(x.shape)}")


def _check_labels(c: torch.Tensor, n: int, classes: int, who: str) -> None:
    if c.ndim != 1 or len(c) != n:
        raise ValueError(f"{who} expects one class label per example, shape ({n},), got {tuple(c.shape)}")
    if c.dtype not in (torch.int64, torch.int32) or (n and (int(c.min()) < 0 or int(c.max()) >= classes)):
        raise ValueError(f"{who} expects integer class labels in 0..{classes - 1}")


def _check_classes(classes, who: str, least: int = 1) -> None:
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < least:
        raise ValueError(f"{who} needs classes = the number of classes, an integer >= {least}, got {classes!r}")


def balanced_labels(n: int, classes: int) -> torch.Tensor:
    """``n`` labels ``0, 1, ..., classes-1, 0, 1, ...``: every class equally often (up to one)."""
    return torch.arange(n) % classes


def _decoder(inputs: int, width: int) -> tuple[nn.Sequential, nn.Sequential]:
    """The conditional generators' decoder, as ``(project, net)``: a linear projection of the
    (N, inputs) code to 2·width × 7 × 7 with batch norm and ReLU, then two transposed
    convolutions 7 -> 14 -> 28 ending in pixel logits (N, 1, 28, 28)."""
    project = nn.Sequential(
        nn.Linear(inputs, 2 * width * 7 * 7, bias=False), nn.BatchNorm1d(2 * width * 7 * 7), nn.ReLU()
    )
    net = nn.Sequential(
        nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False),  # 7 -> 14
        nn.BatchNorm2d(width),
        nn.ReLU(),
        nn.ConvTranspose2d(width, 1, 4, 2, 1),  # 14 -> 28: logits
    )
    return project, net


class ConditionalGenerator(nn.Module):
    """G(z, c): z (N, latent_dim), labels c (N,) -> images (N, 1, 28, 28) in [-1, 1]."""

    def __init__(self, classes: int, latent_dim: int = 32, width: int = 32, embed: int = 32):
        super().__init__()
        _check_classes(classes, "ConditionalGenerator")
        self.classes, self.latent_dim, self.width = classes, latent_dim, width
        self.embed = nn.Embedding(classes, embed)
        self.project, self.net = _decoder(latent_dim + embed, width)

    def logits(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """Pixel logits l (N, 1, 28, 28): the image is 2σ(l) − 1, the Bernoulli mean of (x + 1)/2 is σ(l)."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected z of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        _check_labels(c, len(z), self.classes, "ConditionalGenerator")
        h = self.project(torch.cat([z, self.embed(c)], 1))
        return self.net(h.view(len(z), 2 * self.width, 7, 7))

    def forward(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return 2 * torch.sigmoid(self.logits(z, c)) - 1

    def sample(self, labels: torch.Tensor, *, seed: int | None = None) -> torch.Tensor:
        """One image per label of ``labels`` (N,), z ~ N(0, I) drawn from ``seed``, without gradients."""
        labels = torch.as_tensor(labels)
        _check_labels(labels, len(labels), self.classes, "ConditionalGenerator.sample")
        if self.training and len(labels) == 1:
            raise ValueError("a generator with batch norm in training mode cannot draw one image: call .eval()")
        w = self.project[0].weight
        start = [0]

        def draw(k: int, gen):
            c = labels[start[0] : start[0] + k].to(w.device)
            start[0] += k
            return self(torch.randn(k, self.latent_dim, generator=gen).to(w.device), c)

        return sample_in_chunks(draw, len(labels), (1, 28, 28), seed=seed, device=w.device, dtype=w.dtype)


def _conv_features(width: int, feature_dim: int) -> nn.Sequential:
    """28×28 images -> (N, feature_dim): two strided 4×4 convolutions and a linear layer, LeakyReLU(0.2)."""
    return nn.Sequential(
        nn.Conv2d(1, width, 4, 2, 1),  # 28 -> 14
        nn.LeakyReLU(0.2),
        nn.Conv2d(width, 2 * width, 4, 2, 1),  # 14 -> 7
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(2 * width * 7 * 7, feature_dim),
        nn.LeakyReLU(0.2),
    )


class ConditionalEncoder(nn.Module):
    """q(z | x, c) = N(μ, diag σ²): images (N, 1, 28, 28), labels (N,) -> (μ, log σ²), each (N, latent_dim)."""

    def __init__(self, classes: int, latent_dim: int = 32, width: int = 32, embed: int = 32, hidden: int = 128):
        super().__init__()
        _check_classes(classes, "ConditionalEncoder")
        self.classes, self.latent_dim = classes, latent_dim
        self.body = _conv_features(width, hidden)
        self.embed = nn.Embedding(classes, embed)
        self.out = nn.Linear(hidden + embed, 2 * latent_dim)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _check_images(x, "ConditionalEncoder")
        _check_labels(c, len(x), self.classes, "ConditionalEncoder")
        mu, log_var = self.out(torch.cat([self.body(x), self.embed(c)], 1)).chunk(2, dim=1)
        return mu, log_var.clamp(-12.0, 8.0)


class FeatureDiscriminator(nn.Module):
    """D: images (N, 1, 28, 28) [and labels (N,) when ``classes > 0``] -> logits (N,); ``features`` is f_D(x)."""

    def __init__(self, classes: int = 0, width: int = 32, feature_dim: int = 128):
        super().__init__()
        _check_classes(classes, "FeatureDiscriminator (0: unconditional)", least=0)
        self.classes = classes
        self.body = _conv_features(width, feature_dim)
        if classes:  # projection: the class's embedding is dotted with the features
            self.embed = nn.Embedding(classes, feature_dim)
            nn.init.normal_(self.embed.weight, 0.0, 0.02)
        self.score = nn.Linear(feature_dim, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """f_D(x) (N, feature_dim): the last hidden layer that sees the image alone."""
        _check_images(x, "FeatureDiscriminator")
        return self.body(x)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        f = self.features(x)
        if self.classes:
            if c is None:
                raise ValueError("this discriminator is conditional: pass the class labels c (N,)")
            _check_labels(c, len(x), self.classes, "FeatureDiscriminator")
            return self.score(f).squeeze(1) + (self.embed(c) * f).sum(1)
        if c is not None:
            raise ValueError("this discriminator is unconditional (classes=0): call it on images alone")
        return self.score(f).squeeze(1)


class Recognizer(nn.Module):
    """A classifier of ``classes`` fine classes: images (N, 1, 28, 28) in [-1, 1] -> logits (N, classes).

    ``features`` (N, feature_dim) are its penultimate activations (FID's feature space);
    ``head`` maps them to logits, as :class:`gencore.models.classifier.MNISTClassifier` does,
    so :func:`gencore.metrics.classifier_outputs` reads it.
    """

    def __init__(self, classes: int, width: int = 32, feature_dim: int = 128, dropout: float = 0.0):
        super().__init__()
        _check_classes(classes, "Recognizer")
        self.classes, self.feature_dim = classes, feature_dim
        self.body = conv_trunk(1, width, feature_dim, dropout)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(feature_dim, classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, "Recognizer")
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class AttributeEncoder(nn.Module):
    """IP-GAN's attribute network A, q(z | x^a) = N(μ, diag σ²): images (N, 1, 28, 28) -> (μ, log σ²), (N, latent_dim).

    It sees the image alone (no label): what it keeps is what the identity features of
    the other image do not give the generator.
    """

    def __init__(self, latent_dim: int = 16, width: int = 32, hidden: int = 128):
        super().__init__()
        self.latent_dim = latent_dim
        self.body = _conv_features(width, hidden)
        self.out = nn.Linear(hidden, 2 * latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _check_images(x, "AttributeEncoder")
        mu, log_var = self.out(self.body(x)).chunk(2, dim=1)
        return mu, log_var.clamp(-12.0, 8.0)


class IdentityGenerator(nn.Module):
    """IP-GAN's generator G(f_I(x^s), z_a): identity features (N, identity_dim), attribute codes
    (N, latent_dim) -> images (N, 1, 28, 28) in [-1, 1].

    The same decoder as :class:`ConditionalGenerator`, with the class embedding replaced by a
    linear map of the identity features, so an identity never seen in training still has an input.
    """

    def __init__(self, identity_dim: int = 128, latent_dim: int = 16, width: int = 32, embed: int = 32):
        super().__init__()
        self.identity_dim, self.latent_dim, self.width = identity_dim, latent_dim, width
        self.identity = nn.Linear(identity_dim, embed)
        self.project, self.net = _decoder(latent_dim + embed, width)

    def forward(self, identity: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        if identity.ndim != 2 or identity.shape[1] != self.identity_dim:
            raise ValueError(
                f"expected identity features of shape (N, {self.identity_dim}), got {tuple(identity.shape)}"
            )
        if z.ndim != 2 or z.shape != (len(identity), self.latent_dim):
            raise ValueError(
                f"expected attribute codes z of shape ({len(identity)}, {self.latent_dim}), got {tuple(z.shape)}"
            )
        h = self.project(torch.cat([z, self.identity(identity)], 1))
        return 2 * torch.sigmoid(self.net(h.view(len(z), 2 * self.width, 7, 7))) - 1


#: what :class:`PrintedFactorJudge` reads: the digit (10 classes), the stroke weight (2 classes) and four
#: numbers standardized by :data:`POSE_CENTRE` and :data:`POSE_SPREAD`: height (pixels), rotation
#: (radians), horizontal and vertical shift (pixels)
POSE = ("height", "rotation", "shift_x", "shift_y")
POSE_CENTRE = (19.0, 0.0, 0.0, 0.0)
POSE_SPREAD = (1.7, 0.12, 1.15, 1.15)


class PrintedFactorJudge(nn.Module):
    """Reads the factors other than the font from printed digits (N, 1, 28, 28) in [-1, 1].

    ``forward`` gives (digit logits (N, 10), weight logits (N, 2), standardized pose (N, 4));
    ``read`` gives them in natural units. It judges IP-GAN's images; it is never trained on them.
    """

    def __init__(self, width: int = 32, feature_dim: int = 128):
        super().__init__()
        self.body = conv_trunk(1, width, feature_dim, None)
        self.head = nn.Linear(feature_dim, 10 + 2 + len(POSE))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        _check_images(x, "PrintedFactorJudge")
        out = self.head(self.body(x))
        return out[:, :10], out[:, 10:12], out[:, 12:]

    @torch.no_grad()
    def read(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """``digit`` and ``weight`` (N,) as indices, and each of :data:`POSE` (N,) in natural units."""
        digit, weight, pose = self(x)
        pose = pose * torch.tensor(POSE_SPREAD).to(pose) + torch.tensor(POSE_CENTRE).to(pose)
        return {"digit": digit.argmax(1), "weight": weight.argmax(1), **dict(zip(POSE, pose.T, strict=True))}


def pose_targets(factors: dict[str, torch.Tensor]) -> torch.Tensor:
    """The standardized pose (N, 4) of printed digits from their factors (``height``, ``rotation``, ``shift``)."""
    raw = torch.stack([factors["height"], factors["rotation"], factors["shift"][:, 0], factors["shift"][:, 1]], 1)
    return (raw - torch.tensor(POSE_CENTRE)) / torch.tensor(POSE_SPREAD)
