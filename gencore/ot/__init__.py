"""Optimal-transport geometry (``book/ot_geometry.ipynb``): linear regions, semi-discrete OT, AE-OT, manifolds.

- :mod:`~gencore.ot.regions`: linear regions of ReLU nets on a 2-D box, and their bounds;
- :mod:`~gencore.ot.semidiscrete`: the Brenier potential, Adam with Monte Carlo masses, exact Newton in the plane;
- :mod:`~gencore.ot.aeot`: the AE-OT generator and its coverage of toy mixtures;
- :mod:`~gencore.ot.manifold`: intrinsic-dimension estimates.
"""

from gencore.ot.aeot import (
    AEOT,
    Extension,
    aeot_coverage,
    aeot_sample,
    extend,
    facet_angles,
    fit_aeot,
    mass_centres,
    mixture_codes,
    piecewise_linear_extension,
)
from gencore.ot.manifold import levina_bickel_dimension, neighbour_distances, pca_spectrum, twonn_dimension
from gencore.ot.regions import (
    activation_patterns,
    arrangement_regions,
    box_grid,
    fit_relu_classifier,
    linear_regions,
    region_lower_bound,
    region_upper_bound,
    relu_mlp,
    two_spirals,
)
from gencore.ot.semidiscrete import (
    SOURCES,
    BrenierPotential,
    OTResult,
    newton_step_accepted,
    power_cells,
    sample_source,
    solve,
    solve_exact,
)

__all__ = [
    "AEOT",
    "aeot_coverage",
    "aeot_sample",
    "Extension",
    "extend",
    "mass_centres",
    "piecewise_linear_extension",
    "facet_angles",
    "fit_aeot",
    "mixture_codes",
    "levina_bickel_dimension",
    "pca_spectrum",
    "neighbour_distances",
    "twonn_dimension",
    "activation_patterns",
    "arrangement_regions",
    "box_grid",
    "linear_regions",
    "region_lower_bound",
    "region_upper_bound",
    "relu_mlp",
    "fit_relu_classifier",
    "two_spirals",
    "SOURCES",
    "BrenierPotential",
    "OTResult",
    "power_cells",
    "newton_step_accepted",
    "sample_source",
    "solve",
    "solve_exact",
]
