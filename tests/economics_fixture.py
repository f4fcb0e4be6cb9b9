"""Customer-economics inputs for unit tests: a flat base with every effect off unless asked for."""

from __future__ import annotations

import numpy as np

from simroi.model.economics import EconomicsInputs, WomReach


def economics_inputs(trials: int = 3, **over: object) -> EconomicsInputs:
    """``trials`` identical trials: margin 10, churn 2 %, monthly discount 0.8 %, no experience,
    spend or word-of-mouth effect; ``over`` replaces any field."""
    base: dict[str, object] = dict(
        customers0=np.full(trials, 1.0),
        margin=np.full(trials, 10.0),
        hazard=np.full(trials, 0.02),
        monthly_discount=np.full(trials, 0.008),
        acquisition_cost=np.zeros(trials),
        prospects=np.zeros(trials),
        replace_churn=False,
        churn_multipliers=np.ones((trials, 5)),
        effect_months=12,
        spend_uplift=np.zeros(trials),
        spend_uplift_months=6,
        post_share=np.zeros((trials, 5)),
        positive_share=np.zeros(trials),
        impression_rate=np.full(trials, 0.03),
        customer_share=np.full(trials, 0.2),
        acquisition_per_positive=np.zeros(trials),
        churn_per_negative=np.zeros(trials),
        lost_prospect_per_negative=np.zeros(trials),
        reach=WomReach(61.0, 1.65),
    )
    base.update(over)
    return EconomicsInputs(**base)  # type: ignore[arg-type]
