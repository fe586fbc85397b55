//! The methods against the reference vectors of `scripts/analytics_reference_vectors.py`
//! (statsforecast, statsmodels and utilsforecast), to 1e-6.

use serde::Deserialize;

use super::*;

const TOLERANCE: f64 = 1e-6;

#[derive(Deserialize)]
struct Vectors {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    series: Vec<f64>,
    horizon: usize,
    expected: Vec<Expected>,
}

#[derive(Deserialize)]
struct Expected {
    method: String,
    params: serde_json::Map<String, serde_json::Value>,
    forecast: Vec<f64>,
    fitted: Option<Vec<f64>>,
    mase: Option<f64>,
}

impl Expected {
    fn param(&self, name: &str) -> f64 {
        self.params[name].as_f64().unwrap()
    }

    fn season(&self) -> usize {
        self.params["season"].as_u64().unwrap() as usize
    }
}

fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= TOLERANCE, "{what}[{i}]: {g} vs {w}");
    }
}

#[test]
fn every_method_equals_its_reference() {
    let vectors: Vectors =
        serde_json::from_str(include_str!("../../vectors/forecast.json")).unwrap();
    let mut checked = 0;
    for case in &vectors.cases {
        let (y, h) = (&case.series[..], case.horizon);
        for e in &case.expected {
            let what = format!("{} {} {:?}", case.name, e.method, e.params);
            let fit = match e.method.as_str() {
                "ses" => Fit {
                    fitted: Vec::new(),
                    forecast: vec![ses(y, e.param("alpha")).unwrap()],
                },
                "croston_sba" => croston_sba(y, e.param("alpha"), h),
                "tsb" => tsb(y, e.param("alpha_d"), e.param("alpha_p"), h),
                "seasonal_naive" => seasonal_naive(y, e.season(), h),
                "holt" => holt(y, e.param("alpha"), e.param("beta"), h),
                "holt_winters" => holt_winters(
                    y,
                    e.season(),
                    (e.param("alpha"), e.param("beta"), e.param("gamma")),
                    h,
                )
                .unwrap(),
                "mase" => {
                    let (train, test) = y.split_at(y.len() - h);
                    let baseline = seasonal_naive(train, e.season(), h);
                    assert_close(&what, &baseline.forecast, &e.forecast);
                    let got = mase(train, test, &baseline.forecast, e.season()).unwrap();
                    assert_close(&what, &[got], &[e.mase.unwrap()]);
                    checked += 1;
                    continue;
                }
                other => panic!("unknown method {other}"),
            };
            assert_close(&what, &fit.forecast, &e.forecast);
            if let Some(fitted) = &e.fitted {
                let got: Vec<f64> = fit.fitted.iter().map(|f| f.unwrap()).collect();
                assert_close(&format!("{what} fitted"), &got, fitted);
            }
            checked += 1;
        }
    }
    assert!(checked >= 80, "only {checked} vectors checked");
}
