"""A scenario whose NPV is exactly linear in one input, for the break-even tests.

The program's one-off setup cost is paid at t0, undiscounted, and touches nothing else, while
the baseline pays none: with the setup cost fixed at *v* in every trial, trial *i* has
``NPV_i(v) = NPV_i(0) − v`` and ``PV of costs_i(v) = PV of costs_i(0) + v`` (> 0), so

* the median NPV crosses zero at ``v = median_i NPV_i(0)``;
* ROI_i(v) > 0 exactly when ``v < NPV_i(0)``, so P(ROI > 0) first reaches 50 % below
  ``v = sorted(NPV(0))[n // 2]`` (the (⌊n/2⌋+1)-th smallest, 0-based ``n // 2``).

The other uncertain input, the monthly churn, moves the retained margin; the scenario runs one
sampled day a month on one social channel so that a run takes a fraction of a second.
"""

from __future__ import annotations

from pathlib import Path

LINEAR_SETUP = """
schema_version = 1

[scenario]
name = "linear-setup"
horizon_months = 6
discount_rate = 0.10

[simulation]
trials = 200
block_size = 100
sampled_days_per_month = 1

[customers]
active_customers = 20_000
monthly_margin_per_customer = MARGIN
monthly_churn = { dist = "uniform", low = 0.01, high = 0.03 }

[channels.social]
kind = "deferrable"
contacts_per_customer_per_year = 0.5
hours = { open = "08:00", close = "20:00" }
agents = 1
cost_per_agent_hour = 35
handle_time_minutes = 5
sla_hours = 1
ignore_after_hours = 24
fcr = 0.6
public_share = 0.5

[experience]
churn_multiplier_resolved_slow = 1.0
churn_multiplier_unresolved = 1.0
churn_multiplier_ignored = 1.3
retry_outcome = "each"   # an ignored poster keeps the full penalty, the program's whole benefit

[program]
setup_cost = { dist = "uniform", low = 0, high = SETUP_HIGH }
monthly_tools_cost = 1_500

[baseline]
program = { setup_cost = 0, monthly_tools_cost = 0 }

[baseline.channels.social]
agents = 0
"""


def write_linear_scenario(
    folder: Path, *, setup_high: float = 100_000, margin: float = 300, name: str = "linear"
) -> str:
    """Write the scenario with the setup cost uniform on [0, ``setup_high``] and the monthly
    margin per customer ``margin``; returns its path."""
    text = LINEAR_SETUP.replace("SETUP_HIGH", repr(float(setup_high)))
    path = folder / f"{name}.toml"
    path.write_text(text.replace("MARGIN", repr(float(margin))))
    return str(path)
