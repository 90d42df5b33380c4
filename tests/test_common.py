"""scikit-learn's estimator checks on every public sklrnn estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklrnn.utils.discovery import all_estimators
from tests._instances import EXPECTED_FAILED_CHECKS, EXTRA_PARAMS, INIT_PARAMS


def _instances():
    for name, cls in all_estimators():
        yield cls(**INIT_PARAMS.get(name, {}))
        for params in EXTRA_PARAMS.get(name, []):
            yield cls(**params)


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(
    list(_instances()), expected_failed_checks=_expected_failed_checks
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
