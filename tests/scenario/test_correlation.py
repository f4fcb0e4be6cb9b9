"""Iman–Conover rank correlation: exact marginals, achieved Spearman, clear matrix errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simroi.errors import ScenarioError, SimroiError
from simroi.scenario.correlation import iman_conover, rank_correlation, validate_correlation

SEED = 20_240_611
TARGET = np.array([[1.0, 0.7, -0.4], [0.7, 1.0, -0.2], [-0.4, -0.2, 1.0]])


def _independent_draws(n: int, seed: int = SEED) -> np.ndarray:
    """Three unlike marginals (skewed, discrete, bounded), drawn independently, shape (n, 3)."""
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.lognormal(1.0, 0.8, n), rng.poisson(4.0, n), rng.beta(2, 5, n)])


def test_reordering_preserves_every_marginal_exactly() -> None:
    draws = _independent_draws(5000)
    mixed = iman_conover(draws, TARGET, rng=np.random.default_rng(1))
    assert mixed.shape == draws.shape
    np.testing.assert_array_equal(np.sort(mixed, axis=0), np.sort(draws, axis=0))


@pytest.mark.parametrize(
    "target",
    [
        TARGET,
        np.array([[1.0, 0.9, 0.8], [0.9, 1.0, 0.75], [0.8, 0.75, 1.0]]),
        np.array([[1.0, -0.6, 0.0], [-0.6, 1.0, 0.3], [0.0, 0.3, 1.0]]),
    ],
    ids=["mixed-signs", "strong", "negative"],
)
def test_achieved_spearman_is_within_003_of_the_target(target: np.ndarray) -> None:
    # Continuous marginals: ties (the Poisson column) would cap the achievable rank correlation.
    rng = np.random.default_rng(SEED)
    draws = np.column_stack([rng.lognormal(size=5000), rng.gamma(2.0, size=5000), rng.random(5000)])
    mixed = iman_conover(draws, target, rng=np.random.default_rng(2))
    achieved = stats.spearmanr(mixed).statistic
    assert np.max(np.abs(achieved - target)) < 0.03


def test_same_generator_gives_the_same_reordering() -> None:
    draws = _independent_draws(500)
    first = iman_conover(draws, TARGET, rng=np.random.default_rng(3))
    second = iman_conover(draws, TARGET, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(first, second)


def test_identity_target_keeps_columns_nearly_uncorrelated() -> None:
    draws = _independent_draws(5000)
    mixed = iman_conover(draws, np.eye(3), rng=np.random.default_rng(4))
    off_diagonal = rank_correlation(mixed)[~np.eye(3, dtype=bool)]
    assert np.max(np.abs(off_diagonal)) < 0.03


def test_a_single_row_is_returned_unchanged() -> None:
    draws = np.array([[1.0, 2.0]])
    np.testing.assert_array_equal(
        iman_conover(draws, np.array([[1, 0.5], [0.5, 1]]), rng=np.random.default_rng(0)), draws
    )


def test_fewer_rows_than_columns_still_permutes_each_column() -> None:
    draws = _independent_draws(2)
    mixed = iman_conover(draws, TARGET, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(np.sort(mixed, axis=0), np.sort(draws, axis=0))


def test_rank_correlation_matches_scipy_spearman() -> None:
    draws = iman_conover(_independent_draws(1000), TARGET, rng=np.random.default_rng(5))
    np.testing.assert_allclose(
        rank_correlation(draws), stats.spearmanr(draws).statistic, atol=1e-12
    )


def test_rank_correlation_of_a_constant_column_is_nan_off_the_diagonal() -> None:
    draws = np.column_stack([np.arange(10.0), np.full(10, 3.0)])
    corr = rank_correlation(draws)
    np.testing.assert_array_equal(np.diag(corr), [1.0, 1.0])
    assert np.isnan(corr[0, 1]) and np.isnan(corr[1, 0])


def _problems(names: list[str], matrix: object) -> list[str]:
    with pytest.raises(ScenarioError) as excinfo:
        validate_correlation(names, np.asarray(matrix, dtype=float))
    return excinfo.value.problems


def test_valid_matrix_passes_up_to_the_edge_of_each_rule() -> None:
    validate_correlation(["handle_time", "fcr", "churn"], TARGET)  # raises if refused
    # Nearly perfect correlation is positive definite (smallest eigenvalue 1e-6): accepted;
    # within 1e-11 of perfect it is singular in all but name (Cholesky would fail): refused.
    validate_correlation(["a", "b"], [[1, 1 - 1e-6], [1 - 1e-6, 1]])
    (singular,) = _problems(["a", "b"], [[1, 1 - 1e-11], [1 - 1e-11, 1]])
    assert "positive definite" in singular
    # Asymmetry from rounding (1e-13) is accepted; a real one (1e-9) is not.
    validate_correlation(["a", "b"], [[1, 0.5], [0.5 + 1e-13, 1]])
    (asymmetric,) = _problems(["a", "b"], [[1, 0.5], [0.5 + 1e-9, 1]])
    assert (
        asymmetric
        == "correlation matrix must be symmetric: 'a'–'b' is 0.5 but 'b'–'a' is 0.500000001"
    )


def test_asymmetric_matrix_names_the_pair_and_both_values() -> None:
    (problem,) = _problems(["aht", "fcr"], [[1, 0.5], [0.3, 1]])
    assert "symmetric" in problem
    assert "'aht'–'fcr' is 0.5 but 'fcr'–'aht' is 0.3" in problem


def test_contradictory_correlations_are_not_positive_definite() -> None:
    matrix = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]
    (problem,) = _problems(["a", "b", "c"], matrix)
    smallest = np.linalg.eigvalsh(np.array(matrix))[0]
    assert "positive definite" in problem
    assert f"smallest eigenvalue {smallest:.3g}" in problem


def test_perfect_correlation_is_rejected_as_singular() -> None:
    (problem,) = _problems(["a", "b"], [[1, 1], [1, 1]])
    assert problem.startswith(
        "correlation matrix between a, b must be positive definite (got smallest eigenvalue 0)"
    )


def test_diagonal_must_be_one() -> None:
    (problem,) = _problems(["a", "b"], [[0.9, 0.2], [0.2, 1]])
    assert problem == "correlation of 'a' with itself must be 1 (got 0.9)"


def test_entries_must_lie_in_minus_one_to_one() -> None:
    (problem,) = _problems(["a", "b"], [[1, 1.2], [1.2, 1]])
    assert problem == "correlation between 'a' and 'b' must be in [-1, 1] (got 1.2)"


def test_every_problem_gets_its_own_line() -> None:
    problems = _problems(["a", "b", "c"], [[1, 1.5, 0], [1.5, 0.5, 0.2], [0, 0.1, 1]])
    # |r| > 1, diagonal, asymmetry, each naming its inputs and values; positive definiteness is
    # not checked on a matrix that is not a correlation matrix.
    assert sorted(problems) == [
        "correlation between 'a' and 'b' must be in [-1, 1] (got 1.5)",
        "correlation matrix must be symmetric: 'b'–'c' is 0.2 but 'c'–'b' is 0.1",
        "correlation of 'b' with itself must be 1 (got 0.5)",
    ]
    assert str(ScenarioError(problems)).splitlines() == problems


def test_shape_must_be_square_and_match_the_names() -> None:
    (not_square,) = _problems(["a", "b"], [[1, 0, 0], [0, 1, 0]])
    assert not_square == "correlation matrix must be square (got shape 2×3)"
    (wrong_size,) = _problems(["a", "b"], np.eye(3))
    assert "must be 2×2, one row and column per input (a, b) (got 3×3)" in wrong_size


def test_names_must_be_distinct() -> None:
    (problem,) = _problems(["a", "a"], np.eye(2))
    assert problem == "correlation inputs must be distinct (got 'a' twice)"


def test_errors_are_simroi_value_errors_and_iman_conover_checks_its_target() -> None:
    with pytest.raises(ScenarioError) as excinfo:
        iman_conover(
            _independent_draws(10), np.array([[1, 2], [2, 1]]), rng=np.random.default_rng()
        )
    assert isinstance(excinfo.value, SimroiError) and isinstance(excinfo.value, ValueError)
    (problem,) = excinfo.value.problems  # the target is checked against the 3 columns given
    assert problem.startswith("correlation matrix must be 3×3") and problem.endswith("(got 2×2)")
