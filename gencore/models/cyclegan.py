"""CycleGAN's networks scaled to 28x28 digits (``book/cyclegan.ipynb``).

- :class:`ResnetGenerator`: the official code's ``ResnetGenerator`` (Johnson et
  al.'s style-transfer network): a 7x7 convolution, two stride-2 downsamplings,
  residual blocks, two stride-2 transposed convolutions, a 7x7 convolution and
  tanh; instance norm and reflection padding throughout. At 28x28 the blocks work
  on 7x7 maps with ``4 * width`` channels.
- :class:`PatchDiscriminator`: a PatchGAN (Isola et al., 2017): two 4x4 stride-2
  convolutions, then two 3x3 ones, whose output is a map of scores, one per overlapping
  patch (here 7x7 scores, each seeing a 26x26 patch), instead of one score per image.
- :class:`TranslationSnapshots`: no network; a buffer of translations recorded
  during training (uint8), shipped as a part so that its file is checked like
  the weights.
"""

from __future__ import annotations

import torch
from torch import nn


def _check(x: torch.Tensor, channels: int = 1) -> None:
    if x.ndim != 4 or tuple(x.shape[1:]) != (channels, 28, 28):
        raise ValueError(f"expected images of shape (N, {channels}, 28, 28) in [-1, 1], got {tuple(x.shape)}")


def _check_channels(channels, who: str) -> int:
    if not (isinstance(channels, int) and channels >= 1):
        raise ValueError(f"{who}: channels must be a positive integer (1 for grey, 3 for colour), got {channels!r}")
    return channels


class ResidualBlock(nn.Module):
    """x + conv-norm-relu-conv-norm(x), 3x3 convolutions with reflection padding."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels),
            nn.ReLU(),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """Images (N, C, 28, 28) in [-1, 1] -> images of the other domain, same shape and range (C = ``channels``)."""

    def __init__(self, width: int = 16, blocks: int = 3, channels: int = 1):
        super().__init__()
        w, self.channels = width, _check_channels(channels, "ResnetGenerator")
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(channels, w, 7), nn.InstanceNorm2d(w), nn.ReLU()]
        for c in (w, 2 * w):  # 28 -> 14 -> 7
            layers += [nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.InstanceNorm2d(2 * c), nn.ReLU()]
        layers += [ResidualBlock(4 * w) for _ in range(blocks)]
        for c in (4 * w, 2 * w):  # 7 -> 14 -> 28
            layers += [
                nn.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1),
                nn.InstanceNorm2d(c // 2),
                nn.ReLU(),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(w, channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check(x, self.channels)
        return self.net(x)


class PatchDiscriminator(nn.Module):
    """Images (N, C, 28, 28) (C = ``channels``) -> patch scores (N, 1, 7, 7), one unbounded score per 26x26 patch.

    Two 4x4 stride-2 convolutions (28 -> 14 -> 7), then two 3x3 convolutions at 7x7, the last
    to one channel; instance norm after the second and third (none after the first, as in the
    official code).

    ``extra`` more 3x3 convolutions (``4 * width`` channels, instance norm, leaky
    ReLU) before the last widen each score's convolutional view by 8 pixels each:
    with one, every score's view covers the whole 28x28 image. (Instance norm
    adds image-wide statistics to every layer either way.)
    """

    def __init__(self, width: int = 16, extra: int = 0, channels: int = 1):
        super().__init__()
        self.channels = _check_channels(channels, "PatchDiscriminator")
        if not (isinstance(extra, int) and extra >= 0):
            raise ValueError(f"PatchDiscriminator: extra must be a non-negative integer, got {extra!r}")
        w = width
        more: list[nn.Module] = []
        for _ in range(extra):
            more += [nn.Conv2d(4 * w, 4 * w, 3, padding=1), nn.InstanceNorm2d(4 * w), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(
            nn.Conv2d(channels, w, 4, stride=2, padding=1),  # 14, no norm on the first layer (as the official code)
            nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1),  # 7
            nn.InstanceNorm2d(2 * w),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * w, 4 * w, 3, padding=1),  # 7
            nn.InstanceNorm2d(4 * w),
            nn.LeakyReLU(0.2),
            *more,
            nn.Conv2d(4 * w, 1, 3, padding=1),  # 7
        )
        self.apply(_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check(x, self.channels)
        return self.net(x)


def _init(m: nn.Module) -> None:
    # the official code's "normal" init: weights N(0, 0.02), biases 0
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


class TranslationSnapshots(nn.Module):
    """Translations of a fixed panel recorded during training, for a slider over training.

    ``frames``: (snapshots, 2, panel, 28, 28) uint8, or (snapshots, 2, panel, C, 28, 28) for
    ``channels`` C > 1: at each recorded step, G_AB of the panel's images of domain A and
    G_BA of those of domain B, as 0-255; ``steps``: (snapshots,) the step of each. Filled by
    the recipe while it trains.
    """

    def __init__(self, snapshots: int = 16, panel: int = 10, channels: int = 1):
        super().__init__()
        image = (28, 28) if _check_channels(channels, "TranslationSnapshots") == 1 else (channels, 28, 28)
        self.register_buffer("frames", torch.zeros(snapshots, 2, panel, *image, dtype=torch.uint8))
        self.register_buffer("steps", torch.zeros(snapshots, dtype=torch.int64))

    def images(self, i: int) -> torch.Tensor:
        """Frame ``i`` as floats in [-1, 1]: (2, panel, C, 28, 28)."""
        frame = self.frames[i].float().div(127.5).sub(1)
        return frame.unsqueeze(2) if frame.ndim == 4 else frame
