"""Metrics on samples, by topic; every public name is re-exported here.

- :mod:`~gencore.metrics.coverage`: coverage of a mixture with known modes (``mode_coverage``);
- :mod:`~gencore.metrics.distances`: between two sample sets (exact ``wasserstein``,
  ``frechet_distance``, ``kernel_distance``, ``critic_gap``);
- :mod:`~gencore.metrics.images`: in the features of a network (``features``; ``fid``,
  ``image_precision_recall``, ``path_lengths`` take the extractor), with the shipped
  domain classifier's probabilities (``inception_score``, ``class_histogram``...) and
  ``laplacian_sharpness``, ``high_frequency_share``;
- :mod:`~gencore.metrics.translation`: of an unpaired translation (``label_preservation``,
  ``cycle_error``, ``confusion``) and of a classifier (``predict``, ``accuracy``);
- :mod:`~gencore.metrics.judges`: held-out pixel k-NN judges of a translation between
  handwritten and printed digits (``domain_judge``, ``digit_judge``, ``translation_scores``).
- :mod:`~gencore.metrics.manifolds`: improved ``precision_recall`` with k-NN manifolds in feature space.
- :mod:`~gencore.metrics.memorization`: copies of training points (``copy_shares``, ``nearest_training_distances``).
"""

from gencore.metrics.coverage import mode_coverage
from gencore.metrics.distances import critic_gap, frechet_distance, kernel_distance, wasserstein
from gencore.metrics.images import (
    class_histogram,
    classifier_outputs,
    features,
    fid,
    fid_infinity,
    fid_versus_n,
    high_frequency_share,
    image_precision_recall,
    inception_score,
    kl_from_uniform,
    laplacian_sharpness,
    path_lengths,
    perceptual_path_length,
    sample_summary,
    step_lengths,
)
from gencore.metrics.judges import KNNJudge, digit_judge, domain_judge, translation_scores
from gencore.metrics.manifolds import PrecisionRecall, knn_radii, manifold_membership, precision_recall
from gencore.metrics.memorization import copy_shares, nearest_neighbour_spacing, nearest_training_distances
from gencore.metrics.translation import accuracy, confusion, cycle_error, label_preservation, predict, translate

__all__ = [
    "mode_coverage",
    "wasserstein",
    "frechet_distance",
    "kernel_distance",
    "critic_gap",
    "high_frequency_share",
    "laplacian_sharpness",
    "classifier_outputs",
    "features",
    "fid",
    "inception_score",
    "perceptual_path_length",
    "path_lengths",
    "step_lengths",
    "class_histogram",
    "kl_from_uniform",
    "sample_summary",
    "fid_versus_n",
    "fid_infinity",
    "label_preservation",
    "cycle_error",
    "confusion",
    "translate",
    "predict",
    "accuracy",
    "KNNJudge",
    "domain_judge",
    "digit_judge",
    "translation_scores",
    "precision_recall",
    "image_precision_recall",
    "knn_radii",
    "manifold_membership",
    "PrecisionRecall",
    "copy_shares",
    "nearest_neighbour_spacing",
    "nearest_training_distances",
]
