"""The held-out judges of a translation: k-NN votes in pixel space (gencore.metrics.judges)."""

import pytest
import torch

from gencore import data
from gencore.metrics import judges


def test_knn_judge_votes_by_hand():
    # two clusters of images: all -1 (label 0) and all +1 (label 1); a query near each
    x = torch.cat([torch.full((3, 1, 28, 28), -1.0), torch.full((3, 1, 28, 28), 1.0)])
    judge = judges.KNNJudge(x, torch.tensor([0, 0, 0, 1, 1, 1]), k=3)
    q = torch.stack([torch.full((1, 28, 28), -0.8), torch.full((1, 28, 28), 0.7)])
    assert judge.predict(q).tolist() == [0, 1]
    assert judge.accuracy(q, torch.tensor([0, 0])) == 0.5
    assert judge.accuracy(q, 1) == 0.5


def test_knn_judge_rejects_bad_input():
    x = torch.zeros(4, 1, 28, 28)
    with pytest.raises(ValueError, match="28, 28"):
        judges.KNNJudge(torch.zeros(4, 28, 28), torch.zeros(4))
    with pytest.raises(ValueError, match="one label per image"):
        judges.KNNJudge(x, torch.zeros(3))
    with pytest.raises(ValueError, match="k must be"):
        judges.KNNJudge(x, torch.zeros(4), k=5)
    with pytest.raises(ValueError, match="unknown domain"):
        judges.digit_judge("cursive")
    with pytest.raises(ValueError, match="28, 28"):
        judges.KNNJudge(x, torch.zeros(4), k=2).predict(torch.zeros(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):  # colour images for a judge of grey ones
        judges.KNNJudge(x, torch.zeros(4), k=2).predict(torch.zeros(2, 3, 28, 28))
    colour = judges.KNNJudge(torch.linspace(-1, 1, 4).view(4, 1, 1, 1).expand(4, 3, 28, 28), torch.arange(4), k=1)
    assert colour.predict(torch.full((2, 3, 28, 28), 0.9)).tolist() == [3, 3]


@pytest.fixture(scope="module")
def heldout():
    return data.load("mnist5k", split="heldout"), data.load("printed-digits", split="heldout")


def test_domain_judge_calls_held_out_real_images_right(heldout):
    hand, printed = heldout
    judge = judges.domain_judge()
    assert judge.k == 10
    # 0.926 and 0.965 when written
    assert judge.accuracy(hand.x, 0) >= 0.9
    assert judge.accuracy(printed.x, 1) >= 0.9


def test_digit_judges_read_their_own_domain(heldout):
    hand, printed = heldout
    # 0.923 and 0.969 when written; each reads the other domain far worse (about 0.5)
    assert judges.digit_judge("handwritten").accuracy(hand.x, hand.y) >= 0.9
    assert judges.digit_judge("printed").accuracy(printed.x, printed.y) >= 0.9
    assert judges.digit_judge("printed").accuracy(hand.x, hand.y) < 0.7


def test_translation_scores_of_the_identity_map(heldout):
    hand, printed = heldout
    s = judges.translation_scores(printed.x, printed.y, "printed")
    assert s["looks_target"] >= 0.9 and s["digit_kept"] >= 0.9
    s = judges.translation_scores(hand.x, hand.y, "printed")  # untranslated: looks handwritten
    assert s["looks_target"] < 0.1
    with pytest.raises(ValueError, match="unknown target domain"):
        judges.translation_scores(hand.x, hand.y, "cursive")
