"""The gradient-boosting back ends: LightGBM (default) and XGBoost (optional, only if installed).

Both train one regressor per horizon on the matrix of :mod:`ais.ml.features`, stop early on the
validation split, and are saved as text so an artifact can be read without pickles. Training is
deterministic: fixed seed, deterministic LightGBM, two threads.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ais.errors import ModelTypeError
from ais.features.columns import FEATURE_NAMES
from ais.ml.features import CATEGORICAL_FEATURES

MODEL_TYPES: tuple[str, ...] = ("lightgbm", "xgboost")
SEED = 20260519
NUM_THREADS = 2
# Chosen on the validation part of the real AirNow data before 2019 (never on a test window): a
# slower learning rate with larger leaves and more L2 than LightGBM's defaults, stopped early.
DEFAULT_NUM_BOOST_ROUND = 1000
DEFAULT_EARLY_STOPPING_ROUNDS = 50
MODEL_FILE = {"lightgbm": "model.txt", "xgboost": "model.json"}


class FittedModel(Protocol):
    model_type: str
    best_iteration: int

    def predict(self, matrix: np.ndarray) -> np.ndarray: ...

    def to_bytes(self) -> bytes: ...

    def feature_names(self) -> list[str]: ...

    def importance(self) -> list[tuple[str, float, int]]:
        """(feature, total gain, split count) in feature order."""
        ...


def require_model_type(model_type: str) -> None:
    if model_type not in MODEL_TYPES:
        raise ModelTypeError(f"unknown model type {model_type!r}; expected one of {list(MODEL_TYPES)}")
    if importlib.util.find_spec(model_type) is None:
        raise ModelTypeError(f"model type {model_type!r} needs the Python package {model_type!r}, "
                             "which is not installed in this environment")


def default_params(model_type: str) -> dict[str, Any]:
    if model_type == "lightgbm":
        return {"objective": "regression", "metric": "rmse", "learning_rate": 0.03, "num_leaves": 31,
                "min_data_in_leaf": 100, "feature_fraction": 0.9, "bagging_fraction": 0.8,
                "bagging_freq": 1, "lambda_l2": 10.0, "seed": SEED, "deterministic": True,
                "force_row_wise": True, "num_threads": NUM_THREADS, "verbosity": -1}
    if model_type == "xgboost":
        return {"objective": "reg:squarederror", "eval_metric": "rmse", "eta": 0.03, "max_depth": 6,
                "min_child_weight": 100, "subsample": 0.8, "colsample_bytree": 0.9, "lambda": 10.0,
                "tree_method": "hist",
                "seed": SEED, "nthread": NUM_THREADS}
    raise ModelTypeError(f"unknown model type {model_type!r}")


# ---- LightGBM ---------------------------------------------------------------------------------

@dataclass
class LightGBMModel:
    booster: Any
    best_iteration: int
    model_type: str = "lightgbm"

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster.predict(matrix, num_iteration=self.best_iteration), dtype=np.float64)

    def to_bytes(self) -> bytes:
        return str(self.booster.model_to_string(num_iteration=self.best_iteration)).encode("utf-8")

    def feature_names(self) -> list[str]:
        return list(self.booster.feature_name())

    def importance(self) -> list[tuple[str, float, int]]:
        gain = self.booster.feature_importance("gain", iteration=self.best_iteration)
        split = self.booster.feature_importance("split", iteration=self.best_iteration)
        return [(n, float(g), int(s)) for n, g, s in zip(self.feature_names(), gain, split, strict=True)]


def _fit_lightgbm(params: dict[str, Any], x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray,
                  y_val: np.ndarray, num_boost_round: int, early_stopping_rounds: int,
                  names: Sequence[str]) -> LightGBMModel:
    import lightgbm as lgb

    categorical = [names.index(n) for n in CATEGORICAL_FEATURES if n in names]
    train_set = lgb.Dataset(x_train, label=y_train, feature_name=list(names),
                            categorical_feature=categorical, free_raw_data=False)
    val_set = lgb.Dataset(x_val, label=y_val, reference=train_set)
    booster = lgb.train(params, train_set, num_boost_round=num_boost_round, valid_sets=[val_set],
                        valid_names=["validation"],
                        callbacks=[lgb.early_stopping(early_stopping_rounds, verbose=False)])
    best = int(booster.best_iteration) or int(booster.current_iteration())
    return LightGBMModel(booster, best)


def _load_lightgbm(data: bytes) -> LightGBMModel:
    import lightgbm as lgb

    booster = lgb.Booster(model_str=data.decode("utf-8"))
    # The artifact holds only the trees up to the best iteration.
    return LightGBMModel(booster, int(booster.current_iteration()))


# ---- XGBoost (optional) -----------------------------------------------------------------------

@dataclass
class XGBoostModel:
    booster: Any
    best_iteration: int
    model_type: str = "xgboost"

    def _dmatrix(self, matrix: np.ndarray) -> Any:
        import xgboost as xgb

        return xgb.DMatrix(matrix, feature_names=self.feature_names(), missing=np.nan)

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        out = self.booster.predict(self._dmatrix(matrix), iteration_range=(0, self.best_iteration))
        return np.asarray(out, dtype=np.float64)

    def to_bytes(self) -> bytes:
        # Keep only the trees up to the best iteration, as the LightGBM artifact does.
        return bytes(self.booster[: self.best_iteration].save_raw("json"))

    def feature_names(self) -> list[str]:
        return list(self.booster.feature_names or [])

    def importance(self) -> list[tuple[str, float, int]]:
        trimmed = self.booster[: self.best_iteration]
        total_gain = trimmed.get_score(importance_type="total_gain")
        weight = trimmed.get_score(importance_type="weight")
        return [(n, float(total_gain.get(n, 0.0)), int(weight.get(n, 0))) for n in self.feature_names()]


def _fit_xgboost(params: dict[str, Any], x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray,
                 y_val: np.ndarray, num_boost_round: int, early_stopping_rounds: int,
                 feature_names: Sequence[str]) -> XGBoostModel:
    import xgboost as xgb

    names = list(feature_names)
    dtrain = xgb.DMatrix(x_train, label=y_train, feature_names=names, missing=np.nan)
    dval = xgb.DMatrix(x_val, label=y_val, feature_names=names, missing=np.nan)
    booster = xgb.train(params, dtrain, num_boost_round=num_boost_round, evals=[(dval, "validation")],
                        early_stopping_rounds=early_stopping_rounds, verbose_eval=False)
    return XGBoostModel(booster, int(booster.best_iteration) + 1)


def _load_xgboost(data: bytes) -> XGBoostModel:
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(bytearray(data))
    return XGBoostModel(booster, int(booster.num_boosted_rounds()))


# ---- entry points -----------------------------------------------------------------------------

def fit(model_type: str, params: dict[str, Any], x_train: np.ndarray, y_train: np.ndarray,
        x_val: np.ndarray, y_val: np.ndarray, num_boost_round: int = DEFAULT_NUM_BOOST_ROUND,
        early_stopping_rounds: int = DEFAULT_EARLY_STOPPING_ROUNDS,
        feature_names: Sequence[str] = FEATURE_NAMES) -> FittedModel:
    """A model on the columns ``feature_names`` (the 67 features, or those plus the derived columns of
    :mod:`ais.ml.tuning`); the features of ``CATEGORICAL_FEATURES`` among them are categories."""
    require_model_type(model_type)
    names = list(feature_names)
    if model_type == "lightgbm":
        return _fit_lightgbm(params, x_train, y_train, x_val, y_val, num_boost_round, early_stopping_rounds, names)
    return _fit_xgboost(params, x_train, y_train, x_val, y_val, num_boost_round, early_stopping_rounds, names)


def load(model_type: str, data: bytes) -> FittedModel:
    """A fitted model from the bytes of its artifact (``FittedModel.to_bytes``)."""
    require_model_type(model_type)
    if model_type == "lightgbm":
        return _load_lightgbm(data)
    return _load_xgboost(data)


def describe_training(model_type: str, params: dict[str, Any], num_boost_round: int,
                      early_stopping_rounds: int) -> dict[str, Any]:
    """What goes into params_json and model_meta.json."""
    return {"model_type": model_type, "params": params, "num_boost_round": num_boost_round,
            "early_stopping_rounds": early_stopping_rounds,
            "categorical_features": list(CATEGORICAL_FEATURES) if model_type == "lightgbm" else []}


def feature_importance_csv(rows: Sequence[tuple[str, float, int]]) -> bytes:
    lines = ["feature,gain,split"] + [f"{n},{g!r},{s}" for n, g, s in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")
