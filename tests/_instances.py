"""Small, fast settings for the scikit-learn common checks, and known failures."""

INIT_PARAMS = {
    "CharLSTMGenerator": dict(hidden_size=4, window=8, max_epochs=1, random_state=0),
    "LSTMRegressor": dict(hidden_size=4, max_epochs=2, random_state=0),
    "SequenceClassifier": dict(hidden_size=4, max_epochs=2, random_state=0),
    "SequenceTagger": dict(hidden_size=4, max_epochs=2, random_state=0),
    "SlidingWindowTransformer": dict(window=2),
}

# Further instances checked besides the one of INIT_PARAMS: settings that
# change what fit trains on.
EXTRA_PARAMS = {
    "LSTMRegressor": [
        dict(loss="quantile", quantile=0.9, hidden_size=4, max_epochs=2, random_state=0)
    ],
}

# check name -> reason, per estimator. Every entry needs a reason a reviewer
# would accept.
EXPECTED_FAILED_CHECKS = {
    "SlidingWindowTransformer": {
        "check_methods_subset_invariance": (
            "row t is the window ending at step t: it depends on earlier rows "
            "by design, so a subset of rows transforms differently"
        ),
        "check_methods_sample_order_invariance": (
            "rows are time steps; reordering them changes every window"
        ),
    },
}

# scikit-learn's checks fit every estimator with one label per sample (1-D y);
# a tagger needs one label per time step, so each check that fits fails at its
# y. tests/test_tagger.py checks the same properties with per-step labels.
_TAGGER_REASON = "fits with one label per sample; a tagger needs one per time step"
EXPECTED_FAILED_CHECKS["SequenceTagger"] = {
    check: _TAGGER_REASON
    for check in [
        "check_dict_unchanged",
        "check_dont_overwrite_parameters",
        "check_dtype_object",
        "check_estimators_dtypes",
        "check_estimators_fit_returns_self",
        "check_estimators_nan_inf",
        "check_estimators_overwrite_params",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_fit2d_1feature",
        "check_fit2d_1sample",
        "check_fit2d_predict1d",
        "check_fit_check_is_fitted",
        "check_fit_idempotent",
        "check_fit_score_takes_y",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_n_features_in",
        "check_n_features_in_after_fitting",
        "check_pipeline_consistency",
        "check_positive_only_tag_during_fit",
        "check_readonly_memmap_input",
    ]
}
