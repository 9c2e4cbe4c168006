//! Tests over every kernel: the generic check, limits, validation, the factory.

use super::testing::{check_kernel, samples_around};
use super::*;
use proptest::prelude::*;

const WIDTHS: [f64; 4] = [0.1, 1.0, 3.0, 10.0];

/// Every kernel at width δ (ε = δ for L1, Φ = δ² for DCS), GNC surrogates at several μ.
fn all_kernels(delta: f64) -> Vec<Box<dyn RobustKernel>> {
    let mut kernels: Vec<Box<dyn RobustKernel>> = vec![
        Box::new(L2),
        Box::new(Huber::new(delta).unwrap()),
        Box::new(L1::new(delta).unwrap()),
        Box::new(PseudoHuber::new(delta).unwrap()),
        Box::new(Cauchy::new(delta).unwrap()),
        Box::new(GemanMcClure::new(delta).unwrap()),
        Box::new(Welsch::new(delta).unwrap()),
        Box::new(Tukey::new(delta).unwrap()),
        Box::new(Dcs::from_width(delta).unwrap()),
        Box::new(TruncatedLeastSquares::new(delta).unwrap()),
    ];
    for mu in [1.0, 3.0, 100.0] {
        kernels.push(Box::new(GncGemanMcClure::new(delta, mu).unwrap()));
    }
    for mu in [0.01, 1.0, 30.0, 1e4] {
        kernels.push(Box::new(GncTruncatedLeastSquares::new(delta, mu).unwrap()));
    }
    kernels
}

/// [`samples_around`] plus points inside the GNC-TLS bands, where its middle piece lives.
fn samples(delta: f64) -> Vec<f64> {
    let mut samples = samples_around(delta);
    for mu in [0.01, 1.0, 30.0, 1e4] {
        let (lower, upper) = GncTruncatedLeastSquares::new(delta, mu).unwrap().band();
        samples.extend([0.1, 0.5, 0.9].map(|f| lower + f * (upper - lower)));
    }
    samples
}

#[test]
fn every_kernel_passes_check_kernel() {
    for delta in WIDTHS {
        for kernel in all_kernels(delta) {
            check_kernel(kernel.as_ref(), &samples(delta)).unwrap();
        }
    }
    check_kernel(&L1::default(), &samples_around(1.0)).unwrap();
}

#[test]
fn every_kernel_is_finite_at_extreme_s() {
    for delta in WIDTHS {
        for kernel in all_kernels(delta) {
            for s in [1e300, f64::MAX] {
                let v = kernel.evaluate(s);
                assert!(
                    v.rho.is_finite() && v.d1.is_finite() && v.d2.is_finite(),
                    "{kernel:?} at {s:e}: {v:?}"
                );
            }
        }
    }
}

#[test]
fn limits_at_infinity() {
    let (delta, d2) = (2.0, 4.0);
    let inf = f64::INFINITY;
    let cases: [(Box<dyn RobustKernel>, f64, f64); 10] = [
        (Box::new(L2), inf, 1.0),
        (Box::new(Huber::new(delta).unwrap()), inf, 0.0),
        (Box::new(L1::new(delta).unwrap()), inf, 0.0),
        (Box::new(PseudoHuber::new(delta).unwrap()), inf, 0.0),
        (Box::new(Cauchy::new(delta).unwrap()), inf, 0.0),
        (Box::new(GemanMcClure::new(delta).unwrap()), d2, 0.0),
        (Box::new(Welsch::new(delta).unwrap()), d2, 0.0),
        (Box::new(Tukey::new(delta).unwrap()), d2 / 3.0, 0.0),
        (Box::new(Dcs::from_width(delta).unwrap()), 3.0 * d2, 0.0),
        (
            Box::new(TruncatedLeastSquares::new(delta).unwrap()),
            d2,
            0.0,
        ),
    ];
    for (kernel, rho, weight) in cases {
        let v = kernel.evaluate(inf);
        assert_eq!((v.rho, v.d1, v.d2), (rho, weight, 0.0), "{kernel:?}");
    }
}

#[test]
fn weights_never_exceed_least_squares() {
    for delta in WIDTHS {
        for kernel in all_kernels(delta) {
            let cap = kernel.weight_at_zero().unwrap();
            for s in samples(delta) {
                let v = kernel.evaluate(s);
                assert!(v.d1 <= cap && v.d2 <= 0.0, "{kernel:?} at {s}: {v:?}");
            }
        }
    }
}

#[test]
fn widths_are_validated() {
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-200, 1e200] {
        for name in KERNEL_NAMES.iter().filter(|n| !matches!(**n, "l2" | "l1")) {
            let err = kernel_by_name(name, bad).unwrap_err();
            assert!(
                matches!(err, KernelError::InvalidParameter { .. }),
                "{name}: {err}"
            );
        }
        assert!(L1::new(bad).is_err());
        assert!(GncGemanMcClure::new(bad, 1.0).is_err());
        assert!(GncTruncatedLeastSquares::new(bad, 1.0).is_err());
    }
    for bad in [0.0, -2.0, f64::NAN, f64::INFINITY] {
        assert!(Dcs::new(bad).is_err());
        assert!(GncGemanMcClure::new(1.0, bad).is_err());
        assert!(GncTruncatedLeastSquares::new(1.0, bad).is_err());
    }
    let err = Huber::new(-1.0).unwrap_err();
    assert_eq!(
        err,
        KernelError::InvalidParameter {
            parameter: "delta",
            value: -1.0
        }
    );
    assert!(err.to_string().contains("delta = -1"));
}

#[test]
fn factory_builds_every_named_kernel() {
    for name in KERNEL_NAMES {
        let kernel = kernel_by_name(name, 2.0).unwrap();
        assert_eq!(kernel.name(), *name);
        check_kernel(kernel.as_ref(), &samples_around(2.0)).unwrap();
    }
    assert_eq!(kernel_by_name("Huber", 1.0).unwrap().name(), "huber");
    // l2 and l1 ignore the width entirely.
    assert_eq!(
        kernel_by_name("l1", -5.0).unwrap().weight_at_zero(),
        Some(1e3)
    );
    assert!(kernel_by_name("l2", f64::NAN).is_ok());
    // dcs: Φ = width², so the kink sits at s = 4.
    let dcs = kernel_by_name("dcs", 2.0).unwrap();
    assert_eq!(dcs.evaluate(4.0), KernelValue::new(4.0, 1.0, 0.0));
    assert!(dcs.evaluate(4.5).d1 < 1.0);
    let err = kernel_by_name("fair", 1.0).unwrap_err();
    assert_eq!(err, KernelError::UnknownKernel("fair".into()));
    assert!(err.to_string().contains("pseudo-huber"));
}

#[test]
fn kernels_are_shareable() {
    fn shareable<T: Send + Sync + 'static>(_: &T) {}
    let kernel = kernel_by_name("cauchy", 1.0).unwrap();
    shareable(&kernel);
    let copy = std::sync::Arc::clone(&kernel);
    let value = std::thread::spawn(move || copy.evaluate(1.0))
        .join()
        .unwrap();
    assert_eq!(value, kernel.evaluate(1.0));
}

/// Kernels with deliberate mistakes that [`check_kernel`] must catch.
mod broken {
    use super::*;

    /// g2o's DCS: ρ = w·s, ρ' = w, ρ'' = 0.
    #[derive(Debug)]
    struct G2oDcs;
    impl RobustKernel for G2oDcs {
        fn evaluate(&self, s: f64) -> KernelValue {
            if s.is_infinite() {
                return KernelValue::new(0.0, 0.0, 0.0);
            }
            let scale = (2.0 / (1.0 + s)).min(1.0);
            KernelValue::new(scale * scale * s, scale * scale, 0.0)
        }
        fn name(&self) -> &str {
            "g2o-dcs"
        }
    }

    /// Cauchy with ρ'' missing its factor 1/δ² (right only for δ = 1).
    #[derive(Debug)]
    struct SloppyCauchy;
    impl RobustKernel for SloppyCauchy {
        fn evaluate(&self, s: f64) -> KernelValue {
            let w = 1.0 / (1.0 + s / 4.0);
            KernelValue::new(4.0 * (s / 4.0).ln_1p(), w, -w * w)
        }
        fn name(&self) -> &str {
            "sloppy-cauchy"
        }
    }

    /// Truncated least squares that forgets ρ(0) = 0.
    #[derive(Debug)]
    struct Offset;
    impl RobustKernel for Offset {
        fn evaluate(&self, s: f64) -> KernelValue {
            KernelValue::new(s.min(1.0) + 1.0, if s <= 1.0 { 1.0 } else { 0.0 }, 0.0)
        }
        fn name(&self) -> &str {
            "offset"
        }
    }

    /// L1 that does not declare its weight at zero.
    #[derive(Debug)]
    struct Undeclared(L1);
    impl RobustKernel for Undeclared {
        fn evaluate(&self, s: f64) -> KernelValue {
            self.0.evaluate(s)
        }
        fn name(&self) -> &str {
            "undeclared"
        }
    }

    /// Geman-McClure written as δ²s/(δ² + s), which is inf/inf at s = ∞.
    #[derive(Debug)]
    struct NaiveGm;
    impl RobustKernel for NaiveGm {
        fn evaluate(&self, s: f64) -> KernelValue {
            let w = 1.0 / (1.0 + s);
            KernelValue::new(s / (1.0 + s), w * w, -2.0 * w * w * w)
        }
        fn name(&self) -> &str {
            "naive-gm"
        }
    }

    /// Huber whose weight beyond the kink is 0.1 % too large.
    #[derive(Debug)]
    struct NearlyHuber(Huber);
    impl RobustKernel for NearlyHuber {
        fn evaluate(&self, s: f64) -> KernelValue {
            let v = self.0.evaluate(s);
            let d1 = if s > 1.0 { v.d1 * 1.001 } else { v.d1 };
            KernelValue::new(v.rho, d1, v.d2)
        }
        fn name(&self) -> &str {
            "nearly-huber"
        }
    }

    fn expect_failure(kernel: &dyn RobustKernel, needle: &str) {
        let err = check_kernel(kernel, &samples_around(1.0)).unwrap_err();
        assert!(err.contains(needle), "{err}");
    }

    #[test]
    fn check_kernel_catches_mistakes() {
        expect_failure(&G2oDcs, "ρ'");
        expect_failure(&SloppyCauchy, "ρ''");
        expect_failure(&Offset, "ρ(0)");
        expect_failure(&Undeclared(L1::default()), "weight_at_zero");
        expect_failure(&NaiveGm, "NaN");
        expect_failure(&NearlyHuber(Huber::new(1.0).unwrap()), "ρ' = ");
        let err = check_kernel(&L2, &[1.0, -1.0]).unwrap_err();
        assert!(err.contains("s = -1"), "{err}");
        assert!(check_kernel(&L2, &[f64::NAN]).is_err());
    }
}

proptest! {
    #[test]
    fn check_kernel_at_random_points(
        log_delta in -3.0_f64..3.0,
        log_ratio in -12.0_f64..12.0,
        log_mu in -4.0_f64..8.0,
    ) {
        let delta = 10f64.powf(log_delta);
        let s = delta * delta * 10f64.powf(log_ratio);
        let mu = 10f64.powf(log_mu);
        let mut kernels = all_kernels(delta);
        kernels.push(Box::new(GncTruncatedLeastSquares::new(delta, mu).unwrap()));
        kernels.push(Box::new(GncGemanMcClure::new(delta, 1.0 + mu).unwrap()));
        for kernel in kernels {
            let verdict = check_kernel(kernel.as_ref(), &[0.0, s]);
            prop_assert!(verdict.is_ok(), "{:?}: {}", kernel, verdict.unwrap_err());
        }
    }

    #[test]
    fn gnc_tls_band_interior(log_mu in -3.0_f64..8.0, fraction in 0.001_f64..0.999) {
        let kernel = GncTruncatedLeastSquares::new(1.7, 10f64.powf(log_mu)).unwrap();
        let (lower, upper) = kernel.band();
        let s = lower + fraction * (upper - lower);
        let verdict = check_kernel(&kernel, &[s]);
        prop_assert!(verdict.is_ok(), "{}", verdict.unwrap_err());
        let v = kernel.evaluate(s);
        prop_assert!((0.0..=1.0).contains(&v.d1) && v.rho >= lower && v.rho <= 1.7 * 1.7);
    }
}
