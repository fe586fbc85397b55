#!/usr/bin/env python3
"""Reference vectors for fitview-insights' forecasting methods (issue #14).

    python3 -m venv /tmp/sf && /tmp/sf/bin/pip install statsforecast   # once; heavy, not in CI
    /tmp/sf/bin/python scripts/analytics_reference_vectors.py

writes crates/fitview-insights/vectors/forecast.json, which the crate's unit tests
(src/forecast/reference_tests.rs) compare with the Rust methods to 1e-6. CI never runs this
script: it reads the committed JSON.

Each method is computed by a reference implementation with the parameters that make it the same
definition as the Rust one:
- SES, Croston-SBA, TSB, seasonal naive: Nixtla's statsforecast models (SimpleExponentialSmoothing
  with a fixed alpha; CrostonSBA, whose alpha is fixed at 0.1; TSB with fixed alpha_d/alpha_p;
  SeasonalNaive).
- Holt and Holt-Winters (additive): statsmodels' ExponentialSmoothing (a statsforecast dependency)
  with the "simple" initial states (statsmodels' own _initialization_simple, Hyndman &
  Athanasopoulos §7.6, passed as initialization_method="known") and fixed smoothing parameters (optimized=False):
  statsforecast's own Holt/HoltWinters optimise their parameters and initial states, which the
  Rust code does not reproduce; fixing both gives the same recursion.
  Holt-Winters forecasts are computed from statsmodels' final states (see textbook_forecast).
- MASE: utilsforecast.losses.mase (Nixtla's evaluation library, a statsforecast dependency).
"""
import json
import pathlib

import numpy as np
import pandas as pd
from statsforecast.models import (
    TSB,
    CrostonSBA,
    SeasonalNaive,
    SimpleExponentialSmoothing,
)
from statsmodels.tsa.exponential_smoothing.initialization import _initialization_simple
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from utilsforecast.losses import mase

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates/fitview-insights/vectors/forecast.json"


def series():
    rng = np.random.RandomState(14)
    weeks = np.arange(130)
    intermittent = np.where(rng.rand(60) < 0.35, rng.poisson(4, 60) + 1, 0).astype(float)
    lumpy = np.where(rng.rand(80) < 0.15, rng.poisson(12, 80) + 1, 0).astype(float)
    dying = np.concatenate([rng.poisson(3, 30) + 1, np.zeros(25)]).astype(float)
    trend = np.round(20 + 0.8 * weeks[:40] + rng.normal(0, 3, 40), 1)
    seasonal = np.round(
        30 + 0.1 * weeks + 15 * np.sin(2 * np.pi * weeks / 52) + rng.normal(0, 2, 130), 1
    )
    short_season = np.round(10 + np.tile([5.0, -2.0, 1.0, -4.0], 6) + rng.normal(0, 0.5, 24), 2)
    return {
        "intermittent": intermittent,
        "lumpy": lumpy,
        "dying": dying,
        "trend": trend,
        "seasonal": seasonal,
        "short_season": short_season,
    }


def textbook_forecast(fit, m, h):
    """The Holt-Winters forecast from statsmodels' final states by FPP3's formula
    l_T + h b_T + s_{T+h-m(k+1)}, k = floor((h-1)/m).

    statsmodels' own forecast() uses, for h a multiple of m, the seasonal state from before the
    last observation (s_{T-m}) instead of the one updated by it (s_T); its states and fitted
    values are the textbook's, so the vectors take the states from it and apply the formula.
    """
    level, trend, season = fit.level[-1], fit.trend[-1], fit.season[-m:]
    return [level + (i + 1) * trend + season[i % m] for i in range(h)]


def main():
    h = 8
    cases = []
    for name, y in series().items():
        y = np.asarray(y, dtype=float)
        case = {"name": name, "series": y.tolist(), "horizon": h, "expected": []}

        def add(method, params, forecast, fitted=None):
            entry = {"method": method, "params": params, "forecast": [float(v) for v in forecast]}
            if fitted is not None:
                entry["fitted"] = [float(v) for v in fitted]
            case["expected"].append(entry)

        for alpha in (0.1, 0.5):
            out = SimpleExponentialSmoothing(alpha=alpha).forecast(y=y, h=1)
            add("ses", {"alpha": alpha}, out["mean"])
        if (y != 0).any():
            add("croston_sba", {"alpha": 0.1}, CrostonSBA().forecast(y=y, h=h)["mean"])
        for alpha_d, alpha_p in ((0.1, 0.1), (0.2, 0.3)):
            out = TSB(alpha_d=alpha_d, alpha_p=alpha_p).forecast(y=y, h=h)
            add("tsb", {"alpha_d": alpha_d, "alpha_p": alpha_p}, out["mean"])
        for m in (1, 4, 52):
            if len(y) >= m:
                add("seasonal_naive", {"season": m}, SeasonalNaive(season_length=m).forecast(y=y, h=h)["mean"])
        for alpha, beta in ((0.3, 0.1), (0.8, 0.2)):
            level, trend, _ = _initialization_simple(y, trend="add")
            fit = ExponentialSmoothing(
                y, trend="add", initialization_method="known", initial_level=level, initial_trend=trend
            ).fit(
                smoothing_level=alpha, smoothing_trend=beta, optimized=False
            )
            add("holt", {"alpha": alpha, "beta": beta}, fit.forecast(h), fit.fittedvalues)
        for m in (4, 52):
            if len(y) >= 2 * m:
                for alpha, beta, gamma in ((0.3, 0.05, 0.1), (0.5, 0.1, 0.3)):
                    level, trend, season = _initialization_simple(y, trend="add", seasonal="add", seasonal_periods=m)
                    fit = ExponentialSmoothing(
                        y,
                        trend="add",
                        seasonal="add",
                        seasonal_periods=m,
                        initialization_method="known",
                        initial_level=level,
                        initial_trend=trend,
                        initial_seasonal=season,
                    ).fit(smoothing_level=alpha, smoothing_trend=beta, smoothing_seasonal=gamma, optimized=False)
                    add(
                        "holt_winters",
                        {"season": m, "alpha": alpha, "beta": beta, "gamma": gamma},
                        textbook_forecast(fit, m, h),
                        fit.fittedvalues,
                    )
        # MASE of the seasonal-naive forecast of the last h values from the rest.
        train, test = y[:-h], y[-h:]
        for m in (1, 4):
            pred = SeasonalNaive(season_length=m).forecast(y=train, h=h)["mean"]
            df = pd.DataFrame({"unique_id": "s", "ds": np.arange(h), "y": test, "model": pred})
            train_df = pd.DataFrame({"unique_id": "s", "ds": np.arange(len(train)), "y": train})
            score = mase(df, models=["model"], seasonality=m, train_df=train_df)["model"].iloc[0]
            case["expected"].append(
                {"method": "mase", "params": {"season": m}, "forecast": [float(v) for v in pred], "mase": float(score)}
            )
        cases.append(case)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"generated_by": "scripts/analytics_reference_vectors.py", "cases": cases}, indent=1) + "\n")
    print(f"wrote {OUT} ({sum(len(c['expected']) for c in cases)} vectors)")


if __name__ == "__main__":
    main()
