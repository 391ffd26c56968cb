"""Metrics check their inputs: image range, label shape, values and count, finite results."""

import numpy as np
import pytest
import torch

from gencore import metrics


class PixelClassifier(torch.nn.Module):
    """Features = the mean of four image quarters; class = the brightest quarter (classes 0..3)."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(()))

    def features(self, x):
        q = x.unflatten(2, (2, 14)).unflatten(4, (2, 14)).mean(dim=(1, 3, 5))
        return q.flatten(1) * self.w

    def head(self, f):
        return f

    def forward(self, x):
        return self.head(self.features(x))


def _images(n=40, seed=0):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_fid_refuses_images_outside_minus_one_to_one():
    clf = PixelClassifier()
    ref = metrics.classifier_outputs(clf, _images(40, 1))[0]
    x = _images()
    assert np.isfinite(metrics.fid(x, ref, clf))
    with pytest.raises(ValueError, match=r"look like \[0, 1\].*2 \* x - 1"):
        metrics.fid((x + 1) / 2, ref, clf)
    with pytest.raises(ValueError, match=r"look like \[0, 255\]"):
        metrics.fid((x + 1) * 127.5, ref, clf)
    with pytest.raises(ValueError, match="NaN"):
        metrics.fid(torch.full_like(x, float("nan")), ref, clf)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        metrics.fid(x[0], ref, clf)
    with pytest.raises(ValueError, match=r"look like \[0, 1\]"):
        metrics.image_precision_recall((x + 1) / 2, ref, clf)


def _translation_setup():
    x = _images(8)
    ident = torch.nn.Conv2d(1, 1, 1, bias=False)
    torch.nn.init.ones_(ident.weight)
    y = metrics.translation.predict(PixelClassifier(), x)
    return x, y, ident


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda y: y[:, None], r"shape \(N,\)"),
        (lambda y: y[:1], "8 images but 1 labels"),
        (lambda y: y.float(), "integers"),
        (lambda y: y + 10, r"0\.\.9"),
        (lambda y: y - 5, r"0\.\.9"),
    ],
)
def test_label_preservation_and_confusion_check_the_labels(bad, message):
    x, y, ident = _translation_setup()
    clf = PixelClassifier()
    assert metrics.label_preservation(ident, x, y, clf) == 1.0
    read = metrics.predict(clf, metrics.translate(ident, x))
    assert int(metrics.confusion(read, y).trace()) == 8
    with pytest.raises(ValueError, match=message):
        metrics.label_preservation(ident, x, bad(y), clf)
    with pytest.raises(ValueError, match=message.replace("8 images but 1 labels", "1 labels")):
        metrics.confusion(read, bad(y))


def test_accuracy_and_confusion_refuse_mismatched_predictions():
    with pytest.raises(ValueError, match="two non-empty"):
        metrics.accuracy(torch.tensor([1, 2]), torch.tensor([[1, 2]]))
    with pytest.raises(ValueError, match="digits 0..9"):
        metrics.confusion(torch.tensor([1, 12]), torch.tensor([1, 2]))


def test_translation_metrics_refuse_a_non_finite_translation_or_images():
    x, y, _ = _translation_setup()
    nan = torch.nn.Conv2d(1, 1, 1, bias=False)
    torch.nn.init.constant_(nan.weight, float("nan"))
    with pytest.raises(ValueError, match="translation holds NaN"):
        metrics.label_preservation(nan, x, y, PixelClassifier())
    with pytest.raises(ValueError, match="translation holds NaN"):
        metrics.cycle_error(nan, nan, x)
    with pytest.raises(ValueError, match="NaN"):
        metrics.cycle_error(nan, nan, torch.full_like(x, float("nan")))


def test_fid_infinity_refuses_non_finite_fids():
    with pytest.raises(ValueError, match="finite"):
        metrics.fid_infinity([100, 200], [float("nan"), 3.0])


def test_critic_gap_and_sharpness_refuse_non_finite_values():
    critic = torch.nn.Linear(2, 1)
    x = torch.randn(8, 2)
    assert np.isfinite(metrics.critic_gap(critic, x, x + 1))
    with pytest.raises(ValueError, match="critic gap is nan"):
        metrics.critic_gap(critic, torch.full_like(x, float("nan")), x)
    with pytest.raises(ValueError, match="NaN"):
        metrics.laplacian_sharpness(torch.full((1, 1, 4, 4), float("nan")))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda a, b: metrics.frechet_distance(a, b, eps=-1), "eps must be"),
        (lambda a, b: metrics.mode_coverage(a[:, :2], np.zeros((3, 2)), 0.1), "duplicate modes"),
        (lambda a, b: metrics.fid_versus_n(a, b, [10], seeds=()), "at least one"),
        (lambda a, b: metrics.fid_infinity([1, 2, 3], [1.0, 2.0]), "one row per size"),
        (lambda a, b: metrics.manifold_membership(a, b, np.full(len(b), -1.0)), "non-negative"),
        (lambda a, b: metrics.laplacian_sharpness(torch.zeros(1, 1, 2, 2)), "3x3"),
    ],
)
def test_other_metric_arguments_are_checked(call, message):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=message):
        call(rng.normal(size=(50, 3)), rng.normal(size=(60, 3)))
