"""Same seed, same bits: the compiled engine and the numpy engine through the whole model.

Every bundled scenario, every per-trial array a block produces (outcomes, KPIs, cash flows,
month by month), compared bit for bit; and a whole run through the runner with two workers
against one process on the other engine. A short horizon keeps it quick: the engine's work is
the same every month.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
from bits import arrays, assert_same_bits
from threads import numba_threads

from simroi.execution.runner import RunOptions, run
from simroi.model import contacts
from simroi.model.block import simulate_block
from simroi.scenario.load import bundled_scenarios, load_scenario

# Eight months reach the outage scenario's event (month 7).
SHORT = ["scenario.horizon_months=8", "simulation.sampled_days_per_month=2"]


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_every_bundled_scenario_gives_the_same_bits_on_both_engines(name: str) -> None:
    loaded = load_scenario(name, overrides=SHORT)
    blocks = {
        engine: arrays(simulate_block(loaded, entropy=11, block=1, trials=24, engine=engine))
        for engine in ("numpy", "compiled")
    }
    assert len(blocks["numpy"]) > 100  # the comparison reaches into every table
    assert_same_bits(blocks["numpy"], blocks["compiled"])


def test_a_run_on_two_workers_gives_the_one_process_numpy_runs_bits() -> None:
    loaded = load_scenario("social-team-2", overrides=SHORT)
    compiled = run(loaded, RunOptions(trials=40, seed=5, engine="compiled", workers=2,
                                      block_size=20))  # fmt: skip
    numpy = run(loaded, RunOptions(trials=40, seed=5, engine="numpy", workers=1, block_size=20))
    assert compiled.samples.keys() == numpy.samples.keys()
    for key, values in numpy.samples.items():
        np.testing.assert_array_equal(compiled.samples[key], values, err_msg=key)


@pytest.mark.parametrize(
    ("handle", "patience"),
    [("exponential", "weibull"), ("gamma", "lognormal"), ("lognormal", "weibull")],
)
def test_every_handle_and_patience_distribution_gives_the_same_bits_on_both_engines(
    handle: str, patience: str
) -> None:
    """The bundled scenarios draw lognormal handle times and exponential patience; the other
    distributions go partly through numpy's code on the compiled engine (a gamma's inverse,
    a Weibull's power, a lognormal's exp), in the world that makes them and in the world that
    copies them (the baseline, whose phone and email inputs are the program's)."""
    overrides = [
        f"channels.phone.handle_time_dist={handle}",
        f"channels.phone.patience_dist={patience}",
        "channels.phone.patience_shape=1.7",
        f"channels.email.handle_time_dist={handle}",
    ]
    loaded = load_scenario("default", overrides=[*SHORT, *overrides])
    assert loaded.program.channels["phone"].patience_dist == patience
    blocks = {
        engine: arrays(simulate_block(loaded, entropy=4, block=0, trials=12, engine=engine))
        for engine in ("numpy", "compiled")
    }
    assert_same_bits(blocks["numpy"], blocks["compiled"])


def test_worlds_with_their_own_contact_inputs_give_the_same_bits_on_both_engines() -> None:
    """A baseline whose phone handle times and email resolution differ from the program's:
    each world makes its own numbers there (social still shares them)."""
    overrides = ["baseline.channels.phone.handle_time_minutes=9", "baseline.channels.email.fcr=0.4"]
    loaded = load_scenario("default", overrides=[*SHORT, *overrides])
    assert loaded.baseline is not None and loaded.baseline.channels["email"].fcr == 0.4
    blocks = {
        engine: arrays(simulate_block(loaded, entropy=5, block=0, trials=12, engine=engine))
        for engine in ("numpy", "compiled")
    }
    assert_same_bits(blocks["numpy"], blocks["compiled"])


@pytest.mark.parametrize("trials", [1, 5, 24])
def test_profiles_per_trial_and_narrow_blocks_give_the_same_bits_on_both_engines(
    trials: int,
) -> None:
    """Each trial's own intraday profile (the per-trial inverse CDF) and blocks of fewer trials
    than draw groups (pieces one column wide, summed pairwise by numpy)."""
    uncertain = [
        f"channels.{name}.intraday_profile_concentration=300" for name in ("phone", "social")
    ]
    loaded = load_scenario("default", overrides=[*SHORT, *uncertain])
    assert loaded.program.channels["phone"].intraday_profile_concentration is not None
    blocks = {
        engine: arrays(simulate_block(loaded, entropy=3, block=0, trials=trials, engine=engine))
        for engine in ("numpy", "compiled")
    }
    assert_same_bits(blocks["numpy"], blocks["compiled"])


_SIGNATURES = """
from simroi.model import compiled, compiled_fates, compiled_tallies
from simroi.model.block import simulate_block
from simroi.model.kernels import prepare
from simroi.queueing import compiled as queue
from simroi.queueing import compiled_draws, compiled_roster, compiled_study
from simroi.queueing.queue_spec import QueueSpec
from simroi.queueing.study import study_queue
from simroi.scenario.load import bundled_scenarios, load_scenario

prepare("compiled")
kernels = [*queue.KERNELS, *compiled.KERNELS, *compiled_tallies.KERNELS, *compiled_fates.KERNELS,
           *compiled_study.KERNELS,
           *compiled_roster.KERNELS, *compiled_draws.KERNELS]
before = [len(k.signatures) for k in kernels]
for name in sorted(bundled_scenarios()):
    loaded = load_scenario(name, overrides={short!r})
    simulate_block(loaded, entropy=2, block=0, trials=6, engine="compiled")
study_queue(QueueSpec(arrivals_per_hour=60, agents=2, aht_minutes=4, patience_minutes=3), trials=3)
print([len(k.signatures) for k in kernels] == before)
"""


_QUEUE_ONLY = """
import sys
from simroi.model.kernels import QUEUE_MODULES, prepare
from simroi.queueing import compiled as queue
from simroi.queueing import compiled_draws, compiled_study
from simroi.queueing.queue_spec import QueueSpec
from simroi.queueing.study import study_queue

prepare("compiled", queue_only=True)
kernels = [*queue.KERNELS, *compiled_study.KERNELS, *compiled_draws.KERNELS]
before = [len(k.signatures) for k in kernels]
for dist in ("exponential", "lognormal"):
    spec = QueueSpec(arrivals_per_hour=60, agents=2, aht_minutes=4, patience_minutes=3,
                     handle_dist=dist)
    study_queue(spec, trials=3)
model = [m for m in sys.modules if m.startswith("simroi.model")]
print([len(k.signatures) for k in kernels] == before, model)
"""


def test_a_queue_study_loads_only_its_own_kernels_and_compiles_nothing_more() -> None:
    """``simroi queue`` prepares the queue's kernels alone (no module of the model is even
    imported), and a queue study of either handle-time kind then compiles nothing new."""
    done = subprocess.run(
        [sys.executable, "-c", _QUEUE_ONLY], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True ['simroi.model', 'simroi.model.kernels']"


def test_the_warm_up_compiles_every_kernel_a_run_uses() -> None:
    """The compile notice covers all compiling: after :func:`simroi.model.kernels.prepare`, no
    bundled scenario and no queue study makes a kernel compile for a new type signature (in a
    fresh process)."""
    code = _SIGNATURES.format(short=SHORT)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


def test_a_first_run_shares_the_compiling_with_a_second_process_on_two_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from simroi.model import kernels

    started: list[list[str]] = []
    folders: list[object] = []

    class Started:
        def __init__(self, args: list[str], cwd: object = None, **_: object) -> None:
            started.append(args)
            folders.append(cwd)

    monkeypatch.setattr(kernels.subprocess, "Popen", Started)
    monkeypatch.setattr(kernels.os, "cpu_count", lambda: 2)
    elsewhere = list(kernels.COMPILED_ELSEWHERE)
    assert kernels._compile_elsewhere(elsewhere) is not None
    assert started[0][-len(elsewhere) :] == elsewhere
    # It runs where it imports this process's simroi (not a clone's sources in the folder the
    # command was typed in, which `python -c` would put first on its path).
    assert folders == [kernels.package_root()]
    root = Path(kernels.package_root())
    assert (root / "simroi" / "model" / "kernels.py").samefile(kernels.__file__)
    assert kernels._compile_elsewhere([]) is None  # nothing to share
    monkeypatch.setattr(kernels.os, "cpu_count", lambda: 1)
    assert kernels._compile_elsewhere(elsewhere) is None  # one core: all compiled here


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_no_time_outside_the_staircase_is_read(
    engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A month's time tables start unwritten: filled with junk instead (NaN, infinity, a time
    before everything, random bits), the block gives the same bits, on both engines. The
    baseline's phone has its own handle times, so each world writes its own columns too."""
    overrides = [*SHORT, "baseline.channels.phone.handle_time_minutes=9"]
    loaded = load_scenario("outage-crisis", overrides=overrides)
    clean = arrays(simulate_block(loaded, entropy=8, block=0, trials=10, engine=engine))
    for junk in (np.nan, np.inf, -1e300, None):

        def junk_times(rows: int, width: int, fill: float | None = junk) -> np.ndarray:
            if fill is None:  # random bits: any float, NaNs and subnormals among them
                bits = np.random.default_rng(rows).integers(-(2**63), 2**63 - 1, (rows, width))
                return bits.view(np.float64)
            return np.full((rows, width), fill)

        monkeypatch.setattr(contacts, "_times", junk_times)
        block = simulate_block(loaded, entropy=8, block=0, trials=10, engine=engine)
        assert_same_bits(arrays(block), clean)


def test_the_thread_count_does_not_change_a_bit_of_the_model() -> None:
    """Wider than the kernels' column chunks and thread groups (150 trials, 300 columns with
    the baseline): one thread and two give the same bits through the whole model."""
    loaded = load_scenario("social-team-3", overrides=SHORT)
    blocks = []
    for threads in (1, 2):
        with numba_threads(threads):
            block = simulate_block(loaded, entropy=6, block=0, trials=150, engine="compiled")
        blocks.append(arrays(block))
    assert_same_bits(blocks[0], blocks[1])
    # Threads changed month by month (as a pool's worker takes the cores others leave idle).
    asked: list[int] = []
    running: list[int] = []

    def alternate() -> int:
        running.append(numba.get_num_threads())  # what the month before ran on
        asked.append(1 + len(asked) % 2)
        return asked[-1]

    with numba_threads(2):
        block = simulate_block(
            loaded, entropy=6, block=0, trials=150, engine="compiled", threads=alternate
        )
    assert_same_bits(arrays(block), blocks[0])
    assert len(asked) == loaded.program.scenario.horizon_months
    assert running[1:] == asked[:-1]
